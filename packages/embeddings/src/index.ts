// @tformer/embeddings — the public API (exports below are sorted by module):
//
// | group      | names |
// | ---------- | ----- |
// | tokens     | TokenEmbedding (+ tied projection), checkTokenIds |
// | positions  | SinusoidalPositionalEncoding, sinusoidalTable, LearnedPositionEmbedding,
// |            | RotaryEmbedding, AlibiBias, alibiSlopes |
// | images     | PatchEmbedding |
// | errors     | TokenIdError, PositionOverflowError |
//
// Internal: the row lookup with its scatter gradient, the position-range check.

export { PositionOverflowError, TokenIdError } from './errors.js';
export { PatchEmbedding, type PatchEmbeddingOptions } from './patch-embedding.js';
export {
  AlibiBias,
  type AlibiOptions,
  alibiSlopes,
  LearnedPositionEmbedding,
  type LearnedPositionOptions,
  RotaryEmbedding,
  type RotaryOptions,
  type SinusoidalOptions,
  SinusoidalPositionalEncoding,
  sinusoidalTable,
} from './positions.js';
export { checkTokenIds, TokenEmbedding, type TokenEmbeddingOptions } from './token-embedding.js';
