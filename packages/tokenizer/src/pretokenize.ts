/**
 * Pre-tokenization split patterns, written exactly as js-tiktoken's JavaScript translations of
 * OpenAI's patterns (compiled with the `u` flag; groups made non-capturing, which does not change
 * what they match). JS has no possessive quantifiers, so `\p{L}+` backtracks here just as it does
 * in js-tiktoken; the outputs match js-tiktoken id for id.
 */

/** GPT-2 / r50k_base / p50k_base split pattern. */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const CONTRACTIONS = "(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)";

/** cl100k_base split pattern. */
export const CL100K_PATTERN =
  `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*` +
  '|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

const UPPER = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]';
const LOWER = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';

/** o200k_base split pattern. */
export const O200K_PATTERN =
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+${CONTRACTIONS}?` +
  `|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*${CONTRACTIONS}?` +
  '|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

/** Compiles a split pattern with the flags every splitter here uses (`gu`). */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'gu');
}

/**
 * Splits `text` into pre-tokenization pieces with `pattern` (default GPT-2). Characters the
 * pattern does not match are dropped, as in tiktoken.
 *
 * @example
 * ```ts
 * pretokenize("I've 123 dogs", CL100K_PATTERN); // ['I', "'ve", ' ', '123', ' dogs']
 * ```
 */
export function pretokenize(text: string, pattern: string = GPT2_PATTERN): string[] {
  const re = compilePattern(pattern);
  const out: string[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    else out.push(m[0]);
  }
  return out;
}

/**
 * Rewrites the Oniguruma constructs that Hugging Face / tiktoken patterns use into the JS
 * equivalents js-tiktoken uses: `(?i:'s|'t|'re|'ve|'m|'ll|'d)` becomes the explicit case list and
 * possessive quantifiers (`?+`, `++`, `*+`, `}+`) become greedy ones.
 */
export function fromOnigurumaPattern(pattern: string): string {
  return pattern
    .replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", CONTRACTIONS)
    .replace(/(\{\d+(?:,\d*)?\})\+/g, '$1')
    .replace(/(?<!\\)([?*+])\+/g, '$1');
}

/**
 * How Hugging Face's `Split` pre-tokenizer treats the pattern's matches (its
 * `SplitDelimiterBehavior`): on `'the-final--countdown'` split by `-`, `Removed` gives
 * `the final countdown`, `Isolated` `the - final - - countdown`, `MergedWithPrevious`
 * `the- final- - countdown`, `MergedWithNext` `the -final - -countdown`, `Contiguous`
 * `the - final -- countdown`.
 */
export type SplitBehavior =
  | 'Removed'
  | 'Isolated'
  | 'MergedWithPrevious'
  | 'MergedWithNext'
  | 'Contiguous';

/** Hugging Face `Split` settings: the behavior, and `invert` (the pattern marks what to keep). */
export interface SplitOptions {
  readonly behavior: SplitBehavior;
  /** Swap the roles of matched and unmatched text. Default false. */
  readonly invert?: boolean;
}

export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
];

/**
 * The `[start, end)` spans (flat pairs) that Hugging Face tokenizers' `Split` pre-tokenizer cuts
 * `text` into, exactly as its Rust code does: the pattern's matches are found as Oniguruma's
 * `find_iter` finds them (an empty match right after the previous match is skipped), the text
 * between matches is kept as unmatched pieces, `invert` swaps matched and unmatched, the behavior
 * removes, isolates or merges the matched pieces, and empty pieces are dropped.
 *
 * @param re - the pattern compiled with the `g` and `u` flags (see {@link compilePattern}).
 */
export function splitSpans(text: string, re: RegExp, split: SplitOptions): number[] {
  const n = text.length;
  if (n === 0) return [];
  // find_matches: (start, end, isMatch) covering the whole text.
  const pieces: Array<[number, number, boolean]> = [];
  let prev = 0;
  let lastEnd = 0;
  let lastMatchEnd = -1;
  while (lastEnd <= n) {
    re.lastIndex = lastEnd;
    const m = re.exec(text);
    if (m === null) break;
    const s = m.index;
    const e = s + m[0].length;
    if (e === s && lastMatchEnd === e) {
      const c = text.charCodeAt(lastEnd);
      const pair = c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(lastEnd + 1) & 0xfc00) === 0xdc00;
      lastEnd += pair ? 2 : 1;
      continue;
    }
    lastEnd = e;
    lastMatchEnd = e;
    if (prev !== s) pieces.push([prev, s, false]);
    pieces.push([s, e, true]);
    prev = e;
  }
  if (prev !== n) pieces.push([prev, n, false]);
  if (split.invert === true) for (const p of pieces) p[2] = !p[2];
  const out: Array<[number, number, boolean]> = [];
  const behavior = split.behavior;
  if (behavior === 'Isolated') {
    for (const p of pieces) out.push([p[0], p[1], false]);
  } else if (behavior === 'Removed') {
    out.push(...pieces);
  } else if (behavior === 'Contiguous' || behavior === 'MergedWithPrevious') {
    let previousMatch = false;
    for (const [s, e, isMatch] of pieces) {
      const merge =
        behavior === 'Contiguous' ? isMatch === previousMatch : isMatch && !previousMatch;
      const last = out[out.length - 1];
      if (merge && last !== undefined) last[1] = e;
      else out.push([s, e, false]);
      previousMatch = isMatch;
    }
  } else {
    // MergedWithNext: the same fold from the right, merging a match into the piece after it.
    let previousMatch = false;
    for (let i = pieces.length - 1; i >= 0; i--) {
      const [s, e, isMatch] = pieces[i]!;
      const last = out[out.length - 1];
      if (isMatch && !previousMatch && last !== undefined) last[0] = s;
      else out.push([s, e, false]);
      previousMatch = isMatch;
    }
    out.reverse();
  }
  const spans: number[] = [];
  for (const [s, e, remove] of out) if (!remove && e > s) spans.push(s, e);
  return spans;
}
