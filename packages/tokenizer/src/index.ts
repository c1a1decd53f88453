// @tformer/tokenizer — the public API (exports below are sorted by module):
//
// | group      | names |
// | ---------- | ----- |
// | tokenizers | BytePairTokenizer, CharTokenizer, WordPieceTokenizer; the Tokenizer interface,
// |            | BaseTokenizer, Encoding, BatchEncoding |
// | training   | BpeTrainer, WordPieceTrainer |
// | patterns   | GPT2_PATTERN, CL100K_PATTERN, O200K_PATTERN |
// | limits     | MAX_TOKEN_ID, ID_SLACK (what a vocabulary file may hold) |
// | errors     | TokenizerError (reason, where) |
//
// Internal: the byte ↔ unicode tables, the pre-tokenizer and the Oniguruma pattern translation.

export { BaseTokenizer, type SpecialTokenConfig } from './base-tokenizer.js';
export type { BertNormalization } from './bert-pre-tokenizer.js';
export { BpeTrainer, type BpeTrainerOptions } from './bpe-trainer.js';
export { BytePairTokenizer, type BytePairTokenizerOptions } from './byte-pair-tokenizer.js';
export {
  CharTokenizer,
  type CharTokenizerOptions,
  type UnknownCharPolicy,
} from './char-tokenizer.js';
export { TokenizerError, type TokenizerErrorReason } from './errors.js';
export { ID_SLACK, MAX_TOKEN_ID } from './ids.js';
export {
  CL100K_PATTERN,
  GPT2_PATTERN,
  O200K_PATTERN,
  type SplitBehavior,
  type SplitOptions,
} from './pretokenize.js';
export type { BpeTables, JsTiktokenRanks } from './rank-files.js';
export type {
  BatchEncoding,
  BatchOptions,
  EncodeOptions,
  Encoding,
  Offset,
  Tokenizer,
} from './tokenizer.js';
export { type WordPieceOptions, WordPieceTokenizer } from './word-piece-tokenizer.js';
export { WordPieceTrainer, type WordPieceTrainerOptions } from './word-piece-trainer.js';
