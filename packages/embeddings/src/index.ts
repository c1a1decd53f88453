// @tformer/embeddings — the public API (exports below are sorted by module):
//
// | group      | names |
// | ---------- | ----- |
// | tokens     | TokenEmbedding (+ tied projection), embeddingLookup, checkTokenIds |
// | positions  | SinusoidalPositionalEncoding, sinusoidalTable, LearnedPositionEmbedding,
// |            | RotaryEmbedding, AlibiBias, alibiSlopes, checkPositions |
// | images     | PatchEmbedding |
// | errors     | TokenIdError, PositionOverflowError |

export { checkPositions, PositionOverflowError, TokenIdError } from './errors.js';
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
export {
  checkTokenIds,
  embeddingLookup,
  TokenEmbedding,
  type TokenEmbeddingOptions,
} from './token-embedding.js';
