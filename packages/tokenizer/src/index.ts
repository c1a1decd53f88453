// @tformer/tokenizer — the public API (exports below are sorted by module):
//
// | group      | names |
// | ---------- | ----- |
// | tokenizers | BytePairTokenizer, CharTokenizer, WordPieceTokenizer; the Tokenizer interface,
// |            | BaseTokenizer, Encoding, BatchEncoding |
// | training   | BpeTrainer, WordPieceTrainer |
// | patterns   | GPT2_PATTERN, CL100K_PATTERN, O200K_PATTERN |
// | files      | hfAddedTokens (a tokenizer.json's special-token entries; toJSON/fromJSON do the rest) |
// | errors     | TokenizerError (reason, where) |
//
// Internal: the byte ↔ unicode tables, the pre-tokenizer and the Oniguruma pattern translation,
// the id limits a vocabulary file must keep (MAX_TOKEN_ID, ID_SLACK; the errors name them), the
// rank-file tables. Types of nested fields are reachable by indexed access:
// `TokenizerError['reason']`, `Encoding['offsets'][number]`, `CharTokenizerOptions['unknown']`,
// `SplitOptions['behavior']`.

export { BaseTokenizer, type SpecialTokenConfig } from './base-tokenizer.js';
export type { BertNormalization } from './bert-pre-tokenizer.js';
export { BpeTrainer, type BpeTrainerOptions } from './bpe-trainer.js';
export { BytePairTokenizer, type BytePairTokenizerOptions } from './byte-pair-tokenizer.js';
export { CharTokenizer, type CharTokenizerOptions } from './char-tokenizer.js';
export { TokenizerError } from './errors.js';
export { hfAddedTokens } from './hf-common.js';
export {
  CL100K_PATTERN,
  GPT2_PATTERN,
  O200K_PATTERN,
  type SplitOptions,
} from './pretokenize.js';
export type { JsTiktokenRanks } from './rank-files.js';
export type {
  BatchEncoding,
  BatchOptions,
  EncodeOptions,
  Encoding,
  Tokenizer,
} from './tokenizer.js';
export { type WordPieceOptions, WordPieceTokenizer } from './word-piece-tokenizer.js';
export { WordPieceTrainer, type WordPieceTrainerOptions } from './word-piece-trainer.js';
