import * as tf from '@tensorflow/tfjs-core';
import { MultiHeadAttention } from '@tformer/attention';
import { Dropout, FeedForward, LayerNorm, Module, resolveRng, SwiGLU } from '@tformer/nn';
import {
  type BlockConfig,
  type BlockInit,
  type ResolvedBlockConfig,
  splitBlockOptions,
} from './block-config.js';
import type { LayerCache } from './decoder-cache.js';

export type { BlockInit } from './block-config.js';

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
 * `preNorm`, `useBias`, `layerNormEps`, `rope`, `numKeyValueHeads`) plus initializers and `rng`.
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
    // Checked here unless a model passes the config it has already resolved.
    const { config: c, init } = splitBlockOptions(options);
    this.config = c;
    const { kernelInitializer, outputInitializer } = init;
    const rng = resolveRng(init.rng);
    const norm = () => new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps, useBias: c.useBias });
    // Children `query`, `key`, `value`, `output` and generator `rng` give the saved names.
    this.attn = this.addModule(
      'attn',
      new MultiHeadAttention({
        dModel: c.dModel,
        numHeads: c.numHeads,
        numKeyValueHeads: c.numKeyValueHeads,
        headSize: c.headSize,
        useBias: c.useBias,
        dropout: c.attentionDropout,
        kernel: c.attentionKernel,
        position: c.rope ? 'rope' : 'none',
        kernelInitializer,
        outputInitializer,
        rng: rng.fork(),
      }),
    );
    this.ln1 = this.addModule('ln1', norm());
    const ffn = {
      dModel: c.dModel,
      dFF: c.dFF,
      useBias: c.useBias,
      kernelInitializer,
      outputInitializer,
      rng: rng.fork(),
    };
    this.ffn = this.addModule(
      'ffn',
      c.activation === 'swiglu'
        ? new SwiGLU(ffn)
        : new FeedForward({ ...ffn, activation: c.activation }),
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
