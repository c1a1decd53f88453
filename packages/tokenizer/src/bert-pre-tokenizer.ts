/** BERT's basic tokenizer settings (Hugging Face's `BertNormalizer` fields). */
export interface BertNormalization {
  /** Lower-case the text. Default true. */
  readonly lowercase?: boolean;
  /** Strip accents (NFD, then drop combining marks). Default: same as `lowercase`. */
  readonly stripAccents?: boolean;
  /** Put every CJK ideograph in its own word. Default true. */
  readonly handleChineseChars?: boolean;
  /** Drop control characters, NUL and U+FFFD; turn all whitespace into word breaks. Default true. */
  readonly cleanText?: boolean;
}

/** One pre-tokenized word: normalized text and, per UTF-16 unit, the input span it came from. */
export interface BertWord {
  readonly text: string;
  readonly starts: number[];
  readonly ends: number[];
}

const CONTROL = /^\p{C}$/u;
const PUNCT = /^\p{P}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const MARK = /\p{Mn}/gu;

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || SPACE_SEPARATOR.test(c);
}

function isControl(c: string): boolean {
  return c !== '\t' && c !== '\n' && c !== '\r' && CONTROL.test(c);
}

function isPunctuation(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)) return true;
  return (cp >= 123 && cp <= 126) || PUNCT.test(c);
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * BERT's basic tokenizer: clean, lower-case and strip accents per character, split on whitespace,
 * isolate punctuation and CJK ideographs. Keeps, for every normalized unit, its input span.
 */
export function bertWords(text: string, options: BertNormalization = {}): BertWord[] {
  const lowercase = options.lowercase ?? true;
  const strip = options.stripAccents ?? lowercase;
  const cjk = options.handleChineseChars ?? true;
  const clean = options.cleanText ?? true;
  const words: BertWord[] = [];
  let cur: { text: string; starts: number[]; ends: number[] } | null = null;
  const flush = (): void => {
    if (cur !== null && cur.text.length > 0) words.push(cur);
    cur = null;
  };
  let i = 0;
  for (const c of text) {
    const start = i;
    i += c.length;
    const cp = c.codePointAt(0)!;
    if (isWhitespace(c)) {
      flush();
      continue;
    }
    if (clean && (cp === 0 || cp === 0xfffd || isControl(c))) continue;
    let norm = lowercase ? c.toLowerCase() : c;
    if (strip) norm = norm.normalize('NFD').replace(MARK, '');
    for (const n of norm) {
      const alone = isPunctuation(n) || (cjk && isCjk(n.codePointAt(0)!));
      if (alone || isWhitespace(n)) flush();
      if (isWhitespace(n)) continue;
      cur ??= { text: '', starts: [], ends: [] };
      cur.text += n;
      for (let k = 0; k < n.length; k++) {
        cur.starts.push(start);
        cur.ends.push(i);
      }
      if (alone) flush();
    }
  }
  flush();
  return words;
}
