export { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './errors.js';
export {
  causalMask,
  combineMasks,
  type PositionOptions,
  paddingMask,
  slidingWindowMask,
} from './masks.js';
export {
  type AttentionOptions,
  type AttentionResult,
  scaledDotProductAttention,
} from './scaled-dot-product-attention.js';
