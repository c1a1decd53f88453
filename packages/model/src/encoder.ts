import type * as tf from '@tensorflow/tfjs-core';
import type { BlockInit } from './block-config.js';
import { type EncoderConfig, NormedStack } from './block-stack.js';
import type { LocalHooks } from './hooks.js';

export type { EncoderConfig } from './block-stack.js';

/**
 * The Transformer encoder (Vaswani et al. 2017, §3.1): a stack of `numLayers` bidirectional
 * {@link TransformerBlock}s, plus a final norm when the blocks are pre-LN (a pre-LN stack's
 * output is otherwise un-normalised). Children: `layers.N.*`, `norm` (pre-LN only).
 *
 * Arguments: {@link EncoderConfig} (block arguments and `numLayers`; `crossAttention` is
 * cleared), initializers, `rng`.
 * Call: `apply(x [B, S, dModel], { mask [B, S] })` → `[B, S, dModel]`.
 * Hook points (`hookPoints()`): `layers.N.<block point>`, `norm.output` (pre-LN).
 *
 * @example
 * ```ts
 * const encoder = new Encoder({ numLayers: 2, dModel: 32, numHeads: 4, rng: 0 });
 * const memory = encoder.apply(x, { mask }); // [B, S, 32]
 * ```
 */
export class Encoder extends NormedStack {
  constructor(options: EncoderConfig & BlockInit) {
    super(options, false);
  }

  /** `hooks` by local name (`layers.0.attn.weights`, `norm.output`; see `hookPoints`). */
  apply(x: tf.Tensor, { mask, hooks }: { mask?: tf.Tensor; hooks?: LocalHooks } = {}): tf.Tensor {
    return this.run(x, { mask, hooks });
  }

  static fromConfig(config: EncoderConfig, init: BlockInit = {}): Encoder {
    return new Encoder({ ...config, ...init });
  }
}
