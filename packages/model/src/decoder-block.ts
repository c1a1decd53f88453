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
import { type LocalHooks, runHook, scopeHooks } from './hooks.js';

export interface DecoderBlockCall {
  /** Encoder output `[B, S, dModel]` that cross-attention reads. */
  memory: tf.Tensor;
  /** Key mask `[B, S]` over the memory (non-zero = a real source token). */
  memoryMask?: tf.Tensor;
  /** Key mask `[B, T]` over the target (padding); the causal mask is always applied. */
  mask?: tf.Tensor;
  /**
   * Self-attention keys/values of earlier target positions (`self`, extended in place) and the
   * cross-attention keys/values of `memory` (`cross`, computed at the first call, reused after).
   */
  cache?: LayerCache;
  /** Hooks of this block by local name ({@link DecoderBlock.HOOK_POINTS}); a model makes them. */
  hooks?: LocalHooks;
}

/**
 * The Transformer's decoder layer (Vaswani et al. 2017, §3.1): masked self-attention, then
 * attention over the encoder output, then the FFN, each with dropout, a residual connection and
 * a LayerNorm (post-LN by default, pre-LN with `preNorm`). Children: `selfAttn`, `ln1`,
 * `crossAttn`, `ln2`, `ffn`, `ln3`.
 *
 * Arguments: {@link BlockConfig} plus initializers and `rng`.
 * Call: `apply(y [B, T, dModel], { memory [B, S, dModel], memoryMask, mask, cache })` →
 * `[B, T, dModel]`.
 * Hook points ({@link DecoderBlock.HOOK_POINTS}): `residPre`, `selfAttn.weights` `[B, nh, T, T]`,
 * `selfAttn.headOutput`, `selfAttnOut`, `crossAttn.weights` `[B, nh, T, S]`,
 * `crossAttn.headOutput`, `crossAttnOut`, `mlpOut` (each sub-layer's output before its residual),
 * `residPost`.
 *
 * @example
 * ```ts
 * const block = new DecoderBlock({ dModel: 32, numHeads: 4, rng: 0 });
 * const out = block.apply(y, { memory: encoded }); // [B, T, 32]
 * ```
 */
export class DecoderBlock extends Module {
  readonly config: ResolvedBlockConfig;
  readonly selfAttn: MultiHeadAttention;
  readonly ln1: LayerNorm;
  readonly crossAttn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly ffn: FeedForward | SwiGLU;
  readonly ln3: LayerNorm;
  readonly dropout: Dropout;

  /** Hook points of a decoder block, after its path (`decoder.layers.0.`). */
  static readonly HOOK_POINTS = [
    'residPre',
    'selfAttn.weights',
    'selfAttn.headOutput',
    'selfAttnOut',
    'crossAttn.weights',
    'crossAttn.headOutput',
    'crossAttnOut',
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
    const norm = () => new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps, useBias: c.useBias });
    const attention = (self: boolean) =>
      new MultiHeadAttention({
        dModel: c.dModel,
        numHeads: c.numHeads,
        numKeyValueHeads: c.numKeyValueHeads,
        headSize: c.headSize,
        useBias: c.useBias,
        dropout: c.attentionDropout,
        kernel: c.attentionKernel,
        position: self ? c.position : 'none',
        window: self ? c.window || undefined : undefined,
        memoryEfficient: c.memoryEfficient,
        kernelInitializer,
        outputInitializer,
        rng: rng.fork(),
      });
    this.selfAttn = this.addModule('selfAttn', attention(true));
    this.ln1 = this.addModule('ln1', norm());
    // Cross-attention keys are the encoder's positions: no relative bias or window there.
    this.crossAttn = this.addModule('crossAttn', attention(false));
    this.ln2 = this.addModule('ln2', norm());
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
    this.ln3 = this.addModule('ln3', norm());
    this.dropout = this.addModule('dropout', new Dropout({ rate: c.dropout, rng: rng.fork() }));
  }

  apply(y: tf.Tensor, call: DecoderBlockCall): tf.Tensor {
    return tf.tidy(() => {
      const hooks = call.hooks;
      const sublayers: ((h: tf.Tensor) => tf.Tensor)[] = [
        (h) =>
          this.selfAttn.apply(h, {
            causal: true,
            mask: call.mask,
            cache: call.cache?.self,
            hooks: hooks && scopeHooks(hooks, 'selfAttn.'),
          }),
        (h) =>
          this.crossAttn.apply(h, {
            value: call.memory,
            mask: call.memoryMask,
            cache: call.cache?.cross,
            hooks: hooks && scopeHooks(hooks, 'crossAttn.'),
          }),
        (h) => this.ffn.apply(h),
      ];
      const norms = [this.ln1, this.ln2, this.ln3];
      const outs = ['selfAttnOut', 'crossAttnOut', 'mlpOut'];
      let h = runHook(hooks, 'residPre', y);
      sublayers.forEach((sublayer, i) => {
        const norm = norms[i]!;
        const out = (x: tf.Tensor) => runHook(hooks, outs[i]!, this.dropout.apply(sublayer(x)));
        h = this.config.preNorm ? tf.add(h, out(norm.apply(h))) : norm.apply(tf.add(h, out(h)));
      });
      return runHook(hooks, 'residPost', h);
    });
  }

  getConfig(): ResolvedBlockConfig {
    return { ...this.config };
  }

  static fromConfig(config: BlockConfig, init: BlockInit = {}): DecoderBlock {
    return new DecoderBlock({ ...config, ...init });
  }
}
