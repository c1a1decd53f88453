import * as tf from '@tensorflow/tfjs-core';
import { MultiHeadAttention } from '@tformer/attention';
import {
  Dropout,
  FeedForward,
  type LayerNorm,
  Module,
  type RMSNorm,
  resolveRng,
  SwiGLU,
} from '@tformer/nn';
import {
  type BlockConfig,
  type BlockInit,
  makeNorm,
  type ResolvedBlockConfig,
  splitBlockOptions,
} from './block-config.js';
import type { LayerCache } from './decoder-cache.js';
import { ModelArgumentError } from './errors.js';
import { type LocalHooks, scopeHooks } from './hooks.js';
import { addStream, fromRows, runRowsHook, streamShape, toRows } from './residual-rows.js';

export type { BlockInit } from './block-config.js';

export interface TransformerBlockCall {
  /** Causal self-attention; default true with cross-attention (a decoder layer), else false. */
  causal?: boolean;
  /** Key mask `[B, T]` (non-zero = a real token), e.g. to hide padding. */
  mask?: tf.Tensor;
  /** RoPE positions `[B|1, T]` int32 (default the cache length onwards). */
  positions?: tf.Tensor2D;
  /** Encoder output `[B, S, dModel]` that cross-attention reads; required with `crossAttention`. */
  memory?: tf.Tensor;
  /** Key mask `[B, S]` over `memory` (non-zero = a real source token). */
  memoryMask?: tf.Tensor;
  /**
   * Keys/values of earlier positions (incremental decoding): `cache.self` is extended in place;
   * `cache.cross` holds the projected `memory`, computed at the first call and reused after.
   */
  cache?: LayerCache;
  /**
   * Hooks of this block by local name (see {@link TransformerBlock.hookPoints}), bound to their
   * full names; a model makes them from the `Hooks` it was given.
   */
  hooks?: LocalHooks;
  /**
   * With the input as rows `[B·T, dModel]` (a stack keeps its residual stream so): its batch
   * size B. The output is then rows too.
   */
  batchSize?: number;
}

type Norm = LayerNorm | RMSNorm;

/**
 * One Transformer layer (Vaswani et al. 2017, §3.1; Keras' `TransformerBlock`, KerasHub's
 * `TransformerDecoder`, "called with either one or two inputs"): self-attention, then — with
 * `crossAttention` — attention over an encoder's output, then the FFN; each sub-layer's output
 * goes through dropout into a residual connection with a LayerNorm, after it (post-LN, the paper)
 * or, with `preNorm`, in front of the sub-layer (GPT-2, Xiong et al. 2020).
 *
 * Children, named as saved checkpoints name them: without cross-attention `attn`, `ln1`, `ffn`,
 * `ln2`; with it `selfAttn` (the field {@link attn}), `ln1`, `crossAttn`, `ln2`, `ffn`, `ln3`.
 *
 * Arguments: {@link BlockConfig} (`dModel`, `numHeads`, `dFF`, `activation`, `dropout`, `preNorm`,
 * `useBias`, `layerNormEps`, `position`, `window`, `memoryEfficient`, `norm`, `numKeyValueHeads`,
 * `crossAttention`) plus initializers and `rng`.
 * Call: `apply(x [B, T, dModel], { causal, mask, positions, memory [B, S, dModel], memoryMask,
 * cache, hooks })` → `[B, T, dModel]`, or `apply(x [B·T, dModel], { batchSize: B, … })` →
 * `[B·T, dModel]`: inside, the residual stream is rows either way (no reshape per projection).
 * Hook points ({@link hookPoints}): `residPre` (input); per attention sub-layer (`attn`, or
 * `selfAttn` and `crossAttn`) its `.weights` `[B, nh, T, S]`, `.headOutput` `[B, nh, T, hs]` and
 * `Out` (its output before the residual); `residMid` (the residual stream entering the FFN);
 * `mlpOut`; `residPost` (output).
 *
 * @example
 * ```ts
 * const block = new TransformerBlock({ dModel: 32, numHeads: 2, dFF: 32, rng: 0 });
 * const y = block.apply(x); // [B, T, 32]
 * const layer = new TransformerBlock({ dModel: 32, numHeads: 4, crossAttention: true, rng: 0 });
 * const out = layer.apply(y, { memory: encoded }); // [B, T, 32], causal
 * ```
 */
export class TransformerBlock extends Module {
  readonly config: ResolvedBlockConfig;
  /** Self-attention, saved as `attn` (or `selfAttn` beside a cross-attention). */
  readonly attn: MultiHeadAttention;
  readonly ln1: Norm;
  /** Attention over the encoder output, with `crossAttention` only. */
  readonly crossAttn: MultiHeadAttention | undefined;
  readonly ln2: Norm;
  readonly ffn: FeedForward | SwiGLU;
  /** The FFN's norm with `crossAttention` (`ln2` is then the cross-attention's). */
  readonly ln3: Norm | undefined;
  readonly dropout: Dropout;
  readonly #selfName: 'attn' | 'selfAttn';

  constructor(options: BlockConfig & BlockInit) {
    super();
    // Checked here unless a model passes the config it has already resolved.
    const { config: c, init } = splitBlockOptions(options);
    this.config = c;
    const { kernelInitializer, outputInitializer } = init;
    const rng = resolveRng(init.rng);
    const norm = () => makeNorm(c);
    // Children `query`, `key`, `value`, `output` and generator `rng` give the saved names.
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
    // Registered in forward order (the order of `namedParameters()` and of the rng forks).
    this.#selfName = c.crossAttention ? 'selfAttn' : 'attn';
    this.attn = this.addModule(this.#selfName, attention(true));
    this.ln1 = this.addModule('ln1', norm());
    // Cross-attention keys are the encoder's positions: no relative bias or window there.
    this.crossAttn = c.crossAttention ? this.addModule('crossAttn', attention(false)) : undefined;
    const crossNorm = c.crossAttention ? this.addModule('ln2', norm()) : undefined;
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
    const ffnNorm = this.addModule(c.crossAttention ? 'ln3' : 'ln2', norm());
    this.ln2 = crossNorm ?? ffnNorm;
    this.ln3 = crossNorm && ffnNorm;
    this.dropout = this.addModule('dropout', new Dropout({ rate: c.dropout, rng: rng.fork() }));
  }

  apply(x: tf.Tensor, call: TransformerBlockCall = {}): tf.Tensor {
    const { memory, hooks } = call;
    const [B] = streamShape('x', x, this.config.dModel, call.batchSize);
    if (this.crossAttn && !memory) {
      throw new ModelArgumentError('memory', 'the encoder output [B, S, dModel]', 'none');
    }
    if (!this.crossAttn && memory) {
      throw new ModelArgumentError('memory', 'none (a block without crossAttention)', 'a tensor');
    }
    return tf.tidy(() => {
      const self = this.#selfName;
      // Without hooks (the usual case) each runRowsHook is one undefined check.
      const hook = (name: string, t: tf.Tensor) => runRowsHook(hooks, name, t, B);
      let h = hook('residPre', toRows(x)); // [B·T, C]
      h = this.sublayer(
        h,
        this.ln1,
        (d) => hook(`${self}Out`, d),
        (n) =>
          this.attn.apply(n, {
            batchSize: B,
            causal: call.causal ?? this.crossAttn !== undefined,
            mask: call.mask,
            positions: call.positions,
            cache: call.cache?.self,
            hooks: hooks && scopeHooks(hooks, `${self}.`),
          }),
      );
      const cross = this.crossAttn;
      if (cross) {
        h = this.sublayer(
          h,
          this.ln2,
          (d) => hook('crossAttnOut', d),
          (n) =>
            cross.apply(n, {
              batchSize: B,
              value: memory,
              mask: call.memoryMask,
              cache: call.cache?.cross,
              hooks: hooks && scopeHooks(hooks, 'crossAttn.'),
            }),
        );
      }
      h = hook('residMid', h);
      const ffnNorm = this.ln3 ?? this.ln2;
      h = this.sublayer(
        h,
        ffnNorm,
        (d) => hook('mlpOut', d),
        (n) => this.ffn.apply(n),
      );
      h = hook('residPost', h);
      return x.rank === 2 ? h : fromRows(h, B); // [B, T, C] as given
    });
  }

  /**
   * One residual sub-layer: `LN(h + drop(f(h)))` post-LN, `h + drop(f(LN(h)))` pre-LN, with
   * `hook` (its output hook) on `drop(f(·))`.
   */
  private sublayer(
    h: tf.Tensor,
    norm: Norm,
    hook: (out: tf.Tensor) => tf.Tensor,
    f: (h: tf.Tensor) => tf.Tensor,
  ): tf.Tensor {
    const branch = (n: tf.Tensor) => hook(this.dropout.applyOrPass(f(n)));
    return this.config.preNorm
      ? addStream(h, branch(norm.apply(h)))
      : norm.apply(addStream(h, branch(h)));
  }

  /** Hook points of this block, after its path (`blocks.0.`); see `HookFn`. */
  hookPoints(): string[] {
    const attention = (name: string) => [`${name}.weights`, `${name}.headOutput`, `${name}Out`];
    return [
      'residPre',
      ...attention(this.#selfName),
      ...(this.crossAttn ? attention('crossAttn') : []),
      'residMid',
      'mlpOut',
      'residPost',
    ];
  }

  getConfig(): ResolvedBlockConfig {
    return { ...this.config };
  }

  static fromConfig(config: BlockConfig, init: BlockInit = {}): TransformerBlock {
    return new TransformerBlock({ ...config, ...init });
  }
}
