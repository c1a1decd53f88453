import * as tf from '@tensorflow/tfjs-core';
import { MultiHeadAttention } from '@tformer/attention';
import { Dropout, FeedForward, LayerNorm, Module, RMSNorm, resolveRng, SwiGLU } from '@tformer/nn';
import {
  type BlockConfig,
  type BlockInit,
  type ResolvedBlockConfig,
  splitBlockOptions,
} from './block-config.js';
import type { LayerCache } from './decoder-cache.js';
import { type LocalHooks, runHook, scopeHooks } from './hooks.js';

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
  /**
   * Hooks of this block by local name ({@link TransformerBlock.HOOK_POINTS}), bound to their full
   * names; a model makes them from the `Hooks` it was given.
   */
  hooks?: LocalHooks;
}

/**
 * One Transformer layer (Vaswani et al. 2017, §3.1; Keras' "Text classification with
 * Transformer" `TransformerBlock`): self-attention → dropout → residual → LayerNorm → FFN →
 * dropout → residual → LayerNorm. With `preNorm` the LayerNorms move in front of each sub-layer
 * (GPT-2, Xiong et al. 2020). Children: `attn` (`@tformer/attention`'s `MultiHeadAttention`),
 * `ln1`, `ffn`, `ln2`.
 *
 * Arguments: {@link BlockConfig} (`dModel`, `numHeads`, `dFF`, `activation`, `dropout`,
 * `preNorm`, `useBias`, `layerNormEps`, `position`, `window`, `memoryEfficient`, `norm`,
 * `numKeyValueHeads`) plus initializers and `rng`.
 * Call: `apply(x [B, T, dModel], { causal, mask, positions, cache, hooks })` → `[B, T, dModel]`.
 * Hook points ({@link TransformerBlock.HOOK_POINTS}): `residPre` (input), `attn.weights`
 * `[B, nh, T, S]`, `attn.headOutput` `[B, nh, T, hs]`, `attnOut` (attention sub-layer output,
 * before the residual), `residMid` (after the attention residual, and its LayerNorm when post-LN),
 * `mlpOut`, `residPost` (output).
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
  readonly ln1: LayerNorm | RMSNorm;
  readonly ffn: FeedForward | SwiGLU;
  readonly ln2: LayerNorm | RMSNorm;
  readonly dropout: Dropout;

  /** Hook points of a block, after its path (`blocks.0.`); see {@link HookFn}. */
  static readonly HOOK_POINTS = [
    'residPre',
    'attn.weights',
    'attn.headOutput',
    'attnOut',
    'residMid',
    'mlpOut',
    'residPost',
  ] as const;

  constructor(options: BlockConfig & BlockInit) {
    super();
    // Checked here unless a model passes the config it has already resolved.
    const { config: c, init } = splitBlockOptions(options);
    this.config = c;
    const { kernelInitializer, outputInitializer } = init;
    const rng = resolveRng(init.rng);
    const norm = () =>
      c.norm === 'rms'
        ? new RMSNorm({ dModel: c.dModel, eps: c.layerNormEps })
        : new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps, useBias: c.useBias });
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
        position: c.position,
        window: c.window || undefined,
        memoryEfficient: c.memoryEfficient,
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
      const { causal, mask, positions, cache, hooks } = call;
      // Without hooks (the usual case) each runHook is one undefined check.
      const attnHooks = hooks && scopeHooks(hooks, 'attn.');
      const attend = (h: tf.Tensor) =>
        runHook(
          hooks,
          'attnOut',
          this.dropout.apply(
            this.attn.apply(h, { causal, mask, positions, cache: cache?.self, hooks: attnHooks }),
          ),
        );
      const feed = (h: tf.Tensor) =>
        runHook(hooks, 'mlpOut', this.dropout.apply(this.ffn.apply(h)));
      const input = runHook(hooks, 'residPre', x);
      if (this.config.preNorm) {
        const h = runHook(hooks, 'residMid', tf.add(input, attend(this.ln1.apply(input))));
        return runHook(hooks, 'residPost', tf.add(h, feed(this.ln2.apply(h))));
      }
      const h = runHook(hooks, 'residMid', this.ln1.apply(tf.add(input, attend(input))));
      return runHook(hooks, 'residPost', this.ln2.apply(tf.add(h, feed(h))));
    });
  }

  getConfig(): ResolvedBlockConfig {
    return { ...this.config };
  }

  static fromConfig(config: BlockConfig, init: BlockInit = {}): TransformerBlock {
    return new TransformerBlock({ ...config, ...init });
  }
}
