import * as tf from '@tensorflow/tfjs-core';
import type { MultiHeadAttention } from '@tformer/attention';
import {
  Dropout,
  type FeedForward,
  type Initializer,
  LayerNorm,
  Module,
  type RngOption,
  resolveRng,
  type SwiGLU,
} from '@tformer/nn';
import { blockAttention } from './attention.js';
import { type BlockConfig, type ResolvedBlockConfig, resolveBlockConfig } from './block-config.js';
import { makeFeedForward } from './feed-forward.js';
import type { LayerCache } from './kv-cache.js';

export interface BlockInit {
  /** Initializer of the inner kernels (default Glorot uniform, as Keras). */
  kernelInitializer?: Initializer;
  /** Initializer of the kernels that write into the residual stream (default the same). */
  outputInitializer?: Initializer;
  rng?: RngOption;
}

export interface TransformerBlockCall {
  /** Causal self-attention (decoder-only models); default false. */
  causal?: boolean;
  /** Key mask `[B, T]` (non-zero = a real token), e.g. to hide padding. */
  mask?: tf.Tensor;
  /** RoPE positions `[B|1, T]` int32 (default the cache length onwards). */
  positions?: tf.Tensor2D;
  /** Keys/values of earlier positions (incremental decoding); `cache.self` is extended in place. */
  cache?: LayerCache;
}

/**
 * One Transformer layer (Vaswani et al. 2017, §3.1; Keras' "Text classification with
 * Transformer" `TransformerBlock`): self-attention → dropout → residual → LayerNorm → FFN →
 * dropout → residual → LayerNorm. With `preNorm` the LayerNorms move in front of each sub-layer
 * (GPT-2, Xiong et al. 2020). Children: `attn` (`@tformer/attention`'s `MultiHeadAttention`),
 * `ln1`, `ffn`, `ln2`.
 *
 * Arguments: {@link BlockConfig} (`dModel`, `numHeads`, `dFF`, `activation`, `dropout`,
 * `preNorm`, `bias`, `layerNormEps`, `rope`, `numKeyValueHeads`) plus initializers and `rng`.
 * Call: `apply(x [B, T, dModel], { causal, mask, positions, cache })` → `[B, T, dModel]`.
 *
 * @example
 * ```ts
 * const block = new TransformerBlock({ dModel: 32, numHeads: 2, dFF: 32, rng: 0 });
 * const y = block.apply(x); // [B, T, 32]
 * ```
 */
export class TransformerBlock extends Module {
  readonly config: ResolvedBlockConfig;
  readonly attn: MultiHeadAttention;
  readonly ln1: LayerNorm;
  readonly ffn: FeedForward | SwiGLU;
  readonly ln2: LayerNorm;
  readonly dropout: Dropout;

  constructor(options: BlockConfig & BlockInit) {
    super();
    const { kernelInitializer, outputInitializer, rng: rngOption, ...config } = options;
    const c = resolveBlockConfig(config);
    this.config = c;
    const rng = resolveRng(rngOption);
    const norm = () => new LayerNorm({ dim: c.dModel, eps: c.layerNormEps, center: c.bias });
    this.attn = this.addModule(
      'attn',
      blockAttention(c, { kernelInitializer, outputInitializer }, rng.fork()),
    );
    this.ln1 = this.addModule('ln1', norm());
    this.ffn = this.addModule(
      'ffn',
      makeFeedForward(c, rng.fork(), { kernelInitializer, outputInitializer }),
    );
    this.ln2 = this.addModule('ln2', norm());
    this.dropout = this.addModule('dropout', new Dropout({ rate: c.dropout, rng: rng.fork() }));
  }

  apply(x: tf.Tensor, call: TransformerBlockCall = {}): tf.Tensor {
    return tf.tidy(() => {
      const { causal, mask, positions, cache } = call;
      const attend = (h: tf.Tensor) =>
        this.dropout.apply(this.attn.apply(h, { causal, mask, positions, cache: cache?.self }));
      const feed = (h: tf.Tensor) => this.dropout.apply(this.ffn.apply(h));
      if (this.config.preNorm) {
        const h = tf.add(x, attend(this.ln1.apply(x)));
        return tf.add(h, feed(this.ln2.apply(h)));
      }
      const h = this.ln1.apply(tf.add(x, attend(x)));
      return this.ln2.apply(tf.add(h, feed(h)));
    });
  }

  getConfig(): ResolvedBlockConfig {
    return { ...this.config };
  }

  static fromConfig(config: BlockConfig, init: BlockInit = {}): TransformerBlock {
    return new TransformerBlock({ ...config, ...init });
  }
}
