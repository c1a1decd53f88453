/** Options for turning one string into ids. */
export interface EncodeOptions {
  /**
   * Special tokens that may be produced from their text: `'all'` or a list. Default: none, so
   * ordinary text never yields a special token.
   */
  readonly allowedSpecial?: 'all' | readonly string[];
  /**
   * Special tokens whose text raises `disallowed-special` when it appears. Default `'all'` (every
   * special token not allowed). Pass `[]` to encode such text as ordinary text.
   */
  readonly disallowedSpecial?: 'all' | readonly string[];
  /** Wrap the ids in the tokenizer's template (e.g. `[CLS] … [SEP]`). Default false. */
  readonly addSpecialTokens?: boolean;
}

/** A `[start, end)` span of UTF-16 code units in the input string. */
export type Offset = readonly [number, number];

/** Ids with the span of the input each id came from (`[0, 0]` for added special tokens). */
export interface Encoding {
  readonly ids: number[];
  readonly offsets: Offset[];
}

/** Options for {@link Tokenizer.encodeBatch}. */
export interface BatchOptions extends EncodeOptions {
  /** `true`/`'longest'`: pad to the longest row; `'max_length'`: pad to `maxLength`. */
  readonly padding?: boolean | 'longest' | 'max_length';
  /** Cut rows longer than `maxLength` (special tokens from the template are kept). */
  readonly truncation?: boolean;
  /** Row length for truncation and `'max_length'` padding. */
  readonly maxLength?: number;
  /** Pad id; defaults to the tokenizer's pad token. */
  readonly padId?: number;
}

/** The result of {@link Tokenizer.encodeBatch}: one row per input, all rows padded alike. */
export interface BatchEncoding {
  readonly ids: number[][];
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: number[][];
  readonly offsets: Offset[][];
}

/** What every tokenizer in this package offers. */
export interface Tokenizer {
  /** Ids run from 0 to `vocabSize - 1` (special tokens included). */
  readonly vocabSize: number;
  /** Special token text → id. */
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding;
  encodeBatch(texts: readonly string[], options?: BatchOptions): BatchEncoding;
  decode(ids: ArrayLike<number>): string;
  /** The token's text form (GPT-2 unicode form for byte-level BPE), or undefined. */
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** A JSON-serialisable description that the class's `fromJSON` reads back. */
  toJSON(): object;
}
