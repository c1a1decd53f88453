import { BaseTokenizer, type SpecialTokenConfig } from './base-tokenizer.js';
import { BpeCore } from './bpe-core.js';
import { byteStringToUnicode, unicodeToByteString, utf8ByteString } from './bytes.js';
import { assertIds, TokenizerError } from './errors.js';
import { bpeFromHfJson, bpeToHfJson } from './hf-bpe-json.js';
import { checkIdDensity, countDefined, ID_SLACK } from './ids.js';
import {
  compilePattern,
  GPT2_PATTERN,
  SPLIT_BEHAVIORS,
  type SplitOptions,
  splitSpans,
} from './pretokenize.js';
import {
  type BpeTables,
  type JsTiktokenRanks,
  parseGpt2Files,
  parseJsTiktokenRanks,
  parseTiktokenRanks,
} from './rank-files.js';
import { TokenBytes } from './token-bytes.js';

/** Everything that defines a byte-level BPE tokenizer. */
export interface BytePairTokenizerOptions extends BpeTables {
  /** Pre-tokenization regex source (compiled with `gu`). Default {@link GPT2_PATTERN}. */
  readonly pattern?: string;
  /**
   * Emit a piece that is itself a token before merging. Default: true without explicit merges
   * (tiktoken), false with merges (Hugging Face's default).
   */
  readonly ignoreMerges?: boolean;
  /** Special tokens and the `addSpecialTokens` template. */
  readonly special?: SpecialTokenConfig;
  /**
   * Split text as Hugging Face's `Split` pre-tokenizer does with `pattern` (set when a
   * `tokenizer.json` is read): text between matches is kept or merged as its `behavior` says.
   * Absent (tiktoken's rank files): the pattern's matches are the pieces and text it does not
   * match is dropped, as tiktoken does (Hugging Face's `Removed` with `invert: true`).
   */
  readonly split?: SplitOptions;
}

/**
 * Byte-level BPE (GPT-2, r50k, cl100k, o200k): UTF-8 bytes, regex pre-tokenization, rank-based
 * merging exactly as tiktoken does it (lowest rank first, leftmost on ties; a heap for long
 * pieces), and special tokens matched before splitting.
 *
 * Text is UTF-8 encoded like `TextEncoder` does it: a lone surrogate becomes U+FFFD, so
 * `decode(encode(s)) === s` holds for every well-formed string. `decode` turns bytes that are not
 * valid UTF-8 (e.g. a slice of a multi-byte character) into U+FFFD; `decodeBytes` gives the raw
 * bytes.
 *
 * @param options - token table, merges, pattern and special tokens ({@link BytePairTokenizerOptions}).
 *
 * @example
 * ```ts
 * import cl100k from 'js-tiktoken/ranks/cl100k_base';
 * const tok = BytePairTokenizer.fromJsTiktokenRanks(cl100k);
 * tok.encode('hello world'); // [15339, 1917]
 * ```
 */
export class BytePairTokenizer extends BaseTokenizer {
  readonly pattern: string;
  /** Hugging Face `Split` semantics for `pattern`, or undefined for tiktoken's. */
  readonly split: SplitOptions | undefined;
  private readonly core: BpeCore;
  private readonly regex: RegExp;
  private readonly globalRegex: RegExp;
  private readonly size: number;
  private readonly bytes: TokenBytes;

  constructor(options: BytePairTokenizerOptions) {
    super(options.special);
    this.pattern = options.pattern ?? GPT2_PATTERN;
    if (typeof this.pattern !== 'string') {
      throw new TokenizerError('invalid-format', 'pattern must be a string', { field: 'pattern' });
    }
    try {
      this.regex = new RegExp(this.pattern, 'uy');
      this.globalRegex = compilePattern(this.pattern);
    } catch (e) {
      throw new TokenizerError('invalid-format', `bad pre-tokenization pattern: ${String(e)}`, {
        field: 'pattern',
      });
    }
    this.split = checkSplit(options.split);
    if (!Array.isArray(options.tokens)) {
      throw new TokenizerError('invalid-format', 'tokens must be an array', { field: 'tokens' });
    }
    // Ids must be dense enough (see ID_SLACK) before any table sized by them is built.
    let size = options.tokens.length;
    for (const id of this.specialTokens.values()) size = Math.max(size, id + 1);
    if (size > ID_SLACK) {
      const entries = countDefined(options.tokens) + this.specialTokens.size;
      checkIdDensity(size, entries, 'tokens and special tokens');
    }
    const tokens = options.tokens.slice();
    tokens.forEach((t, id) => {
      if (t !== undefined && (typeof t !== 'string' || t === '')) {
        throw new TokenizerError(
          'invalid-format',
          `tokens[${id}] must be a non-empty byte string`,
          {
            field: 'tokens',
            id,
          },
        );
      }
    });
    for (const [text, id] of this.specialTokens) {
      if (tokens[id] !== undefined) {
        throw new TokenizerError('duplicate-rank', `special token "${text}" reuses id ${id}`, {
          token: text,
          id,
        });
      }
    }
    const all: Array<string | undefined> = tokens.slice();
    for (const [text, id] of this.specialTokens) all[id] = utf8ByteString(text);
    this.bytes = new TokenBytes(all);
    this.core = new BpeCore(
      tokens,
      { merges: options.merges },
      options.ignoreMerges ?? options.merges === undefined,
      this.bytes.texts,
    );
    this.size = all.length;
  }

  /**
   * Loads the rank tables that the `js-tiktoken` npm package ships
   * (`import ranks from 'js-tiktoken/ranks/gpt2'`), pattern and special tokens included.
   */
  static fromJsTiktokenRanks(ranks: JsTiktokenRanks): BytePairTokenizer {
    const tables = parseJsTiktokenRanks(ranks);
    return new BytePairTokenizer({
      ...tables,
      pattern: ranks.pat_str.replace(/\((?!\?)/g, '(?:'),
      special: { tokens: ranks.special_tokens },
    });
  }

  /**
   * Loads a `.tiktoken` rank file (`base64 rank` lines); the file holds neither the pattern nor the
   * special tokens, so pass them.
   */
  static fromTiktoken(
    text: string,
    options: { pattern: string; special?: SpecialTokenConfig },
  ): BytePairTokenizer {
    return new BytePairTokenizer({ ...parseTiktokenRanks(text), ...options });
  }

  /** Loads GPT-2's original `vocab.json` (encoder.json) + `merges.txt` (vocab.bpe) pair. */
  static fromGpt2Files(
    vocabJson: string,
    mergesTxt: string,
    options: { pattern?: string; special?: SpecialTokenConfig } = {},
  ): BytePairTokenizer {
    return new BytePairTokenizer({ ...parseGpt2Files(vocabJson, mergesTxt), ...options });
  }

  /** Loads a Hugging Face `tokenizer.json` (text or parsed) with a byte-level BPE model. */
  static fromJSON(json: string | object): BytePairTokenizer {
    return new BytePairTokenizer(bpeFromHfJson(json));
  }

  get vocabSize(): number {
    return this.size;
  }

  /** The merges in priority order as `[left, right, result]` ids. */
  get merges(): ReadonlyArray<readonly [number, number, number]> {
    return this.core.mergeList;
  }

  /** Whether pieces that are whole tokens skip merging (tiktoken: yes). */
  get ignoreMerges(): boolean {
    return this.core.ignoreMerges;
  }

  /** The raw bytes of a token as a byte string (one char per byte), or undefined. */
  tokenBytes(id: number): string | undefined {
    return this.core.tokens[id];
  }

  idToToken(id: number): string | undefined {
    const bytes = this.core.tokens[id];
    return bytes === undefined ? this.specialById.get(id) : byteStringToUnicode(bytes);
  }

  tokenToId(token: string): number | undefined {
    const special = this.specialTokens.get(token);
    if (special !== undefined) return special;
    const bytes = unicodeToByteString(token);
    return bytes === undefined ? undefined : this.core.byteStringToId.get(bytes);
  }

  protected encodeOrdinary(text: string, out: number[], offsets: number[] | null, base: number) {
    if (this.split !== undefined) {
      const spans = splitSpans(text, this.globalRegex, this.split);
      for (let i = 0; i < spans.length; i += 2) {
        const before = out.length;
        this.core.encodePiece(text.slice(spans[i], spans[i + 1]), out);
        if (offsets !== null) this.pieceOffsets(text, spans[i]!, out, before, offsets, base);
      }
      return;
    }
    const re = this.regex;
    const core = this.core;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      re.lastIndex = pos;
      if (!re.test(text) || re.lastIndex === pos) {
        pos++;
        continue;
      }
      const end = re.lastIndex;
      const before = out.length;
      core.encodePiece(text.slice(pos, end), out);
      if (offsets !== null) this.pieceOffsets(text, pos, out, before, offsets, base);
      pos = end;
    }
  }

  private pieceOffsets(
    text: string,
    start: number,
    out: number[],
    from: number,
    offsets: number[],
    base: number,
  ): void {
    let ci = start;
    let remain = 0;
    for (let k = from; k < out.length; k++) {
      let left = this.core.tokens[out[k]!]!.length;
      const s = ci;
      while (left > 0) {
        if (remain === 0) remain = charBytes(text, ci);
        const take = Math.min(left, remain);
        left -= take;
        remain -= take;
        if (remain === 0) ci += charUnits(text, ci);
      }
      offsets.push(base + s, base + (remain > 0 ? ci + charUnits(text, ci) : ci));
    }
  }

  /** Ids → the concatenated token bytes. Raises `id-out-of-range` for an unknown id. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    assertIds(ids);
    return this.bytes.concat(ids, 0, ids.length).slice();
  }

  /** Ids → text; bytes that do not form valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    assertIds(ids);
    return this.bytes.decode(ids);
  }

  /** A Hugging Face `tokenizer.json` object; `JSON.stringify` it to save. */
  toJSON(): object {
    return bpeToHfJson({
      tokens: this.core.tokens,
      merges: this.core.mergeList,
      ignoreMerges: this.core.ignoreMerges,
      pattern: this.pattern,
      split: this.split,
      special: this.specialConfig,
      specialTokens: this.specialTokens,
    });
  }
}

function checkSplit(split: unknown): SplitOptions | undefined {
  if (split === undefined) return undefined;
  const s = split as SplitOptions;
  if (
    typeof split !== 'object' ||
    split === null ||
    !SPLIT_BEHAVIORS.includes(s.behavior) ||
    (s.invert !== undefined && typeof s.invert !== 'boolean')
  ) {
    throw new TokenizerError(
      'invalid-format',
      `split must be { behavior: ${SPLIT_BEHAVIORS.join(' | ')}, invert?: boolean }`,
      { field: 'split' },
    );
  }
  return { behavior: s.behavior, invert: s.invert === true };
}

function charUnits(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function charBytes(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  return charUnits(text, i) === 2 ? 4 : 3;
}
