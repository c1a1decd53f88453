import type * as tf from '@tensorflow/tfjs-core';
import type { BlockInit } from './block-config.js';
import { type EncoderConfig, NormedStack } from './block-stack.js';
import type { DecoderCache } from './decoder-cache.js';
import type { LocalHooks } from './hooks.js';

export interface DecoderCall {
  /** Encoder output `[B, S, dModel]`. */
  memory: tf.Tensor;
  /** Key mask `[B, S]` over the memory (non-zero = a real source token). */
  memoryMask?: tf.Tensor;
  /** Key mask `[B, T]` over the target (padding); causal masking is always on. */
  mask?: tf.Tensor;
  /**
   * Self-attention keys/values of earlier target positions, one entry per layer, and the
   * cross-attention keys/values of `memory` (projected at the first call: one cache, one memory).
   */
  cache?: DecoderCache;
  /** Hooks by local name (`layers.0.crossAttn.weights`, `norm.output`; see `hookPoints`). */
  hooks?: LocalHooks;
}

/**
 * The Transformer decoder (Vaswani et al. 2017, §3.1): a stack of `numLayers`
 * {@link TransformerBlock}s with `crossAttention` (masked self-attention, attention over the
 * encoder output, FFN), plus a final norm when pre-LN. Children: `layers.N.*`, `norm` (pre-LN only).
 *
 * Arguments: the same as {@link Encoder} (`crossAttention` is set).
 * Call: `apply(y [B, T, dModel], { memory, memoryMask, mask, cache })` → `[B, T, dModel]`.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({ numLayers: 2, dModel: 32, numHeads: 4, rng: 0 });
 * const out = decoder.apply(y, { memory }); // [B, T, 32]
 * ```
 */
export class Decoder extends NormedStack {
  constructor(options: EncoderConfig & BlockInit) {
    super(options, true);
  }

  apply(y: tf.Tensor, call: DecoderCall): tf.Tensor {
    return this.run(y, { ...call, causal: true });
  }

  static fromConfig(config: EncoderConfig, init: BlockInit = {}): Decoder {
    return new Decoder({ ...config, ...init });
  }
}
