// @tformer/attention — the public API (exports below are sorted by module):
//
// | group     | names |
// | --------- | ----- |
// | function  | scaledDotProductAttention (plain, per-head, memory-efficient kernels) |
// | layer     | MultiHeadAttention (GQA/MQA, windows, RoPE/ALiBi, cross-attention) |
// | masks     | causalMask, paddingMask, slidingWindowMask, combineMasks |
// | decoding  | KVCache |
// | hooks     | AttentionHooks, ActivationHook |
// | errors    | AttentionShapeError, AttentionArgumentError, KVCacheOverflowError |

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
