export type { ActivationHook, AttentionHooks } from './attention-hooks.js';
export { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './errors.js';
export { KVCache, type KVCacheConfig, type KVCacheOptions } from './kv-cache.js';
export {
  causalMask,
  combineMasks,
  type PositionOptions,
  paddingMask,
  slidingWindowMask,
} from './masks.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionCall,
  type MultiHeadAttentionConfig,
  type MultiHeadAttentionOptions,
} from './multi-head-attention.js';
export {
  type AttentionOptions,
  type AttentionResult,
  scaledDotProductAttention,
} from './scaled-dot-product-attention.js';
