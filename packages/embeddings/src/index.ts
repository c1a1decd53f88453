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
