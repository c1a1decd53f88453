import * as tf from '@tensorflow/tfjs-core';
import { scaledDotProductAttention } from '@tformer/attention';
import { Dense, type Initializer, Module, type Rng, type RngOption, resolveRng } from '@tformer/nn';
import { batchedAttention } from './batched-attention.js';
import { ModelConfigError } from './errors.js';
import type { LayerCache } from './kv-cache.js';
import { applyRotary } from './rotary.js';

export interface TransformerAttentionConfig {
  dModel: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); default `numHeads`. */
  numKeyValueHeads?: number;
  /** Width of each head (Keras' `key_dim`); default dModel / numHeads. */
  headSize?: number;
  /** Biases on the four projections (default true). */
  bias?: boolean;
  /** Dropout on the attention probabilities (default 0). */
  dropout?: number;
  /** Rotate queries and keys by their positions (RoPE); default false. */
  rope?: boolean;
  /**
   * `per-head`: `@tformer/attention`'s `scaledDotProductAttention` (one rank-2 product per head:
   * fast on wasm for long sequences, seeded attention dropout). `batched`: {@link batchedAttention}
   * (few ops: fast for short sequences). `auto` (default): batched when T·S ≤ 128², per-head
   * otherwise. While attention dropout is active (training, `dropout` > 0) it is always per-head.
   */
  kernel?: 'auto' | 'per-head' | 'batched';
}

export interface TransformerAttentionOptions extends TransformerAttentionConfig {
  /** Initializer of the q, k, v kernels (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /** Initializer of the output kernel (default `kernelInitializer`). */
  outputInitializer?: Initializer;
  rng?: RngOption;
}

export interface TransformerAttentionCall {
  /** Cross-attention: keys and values come from this `[B, S, dModel]` (the encoder output). */
  memory?: tf.Tensor;
  /** Each query sees only keys at earlier or equal positions. */
  causal?: boolean;
  /** Key mask `[B, S]` (non-zero = may attend) or any mask `scaledDotProductAttention` takes. */
  mask?: tf.Tensor;
  /** Positions `[B|1, T]` int32 for RoPE (default `cacheLength … cacheLength + T − 1`). */
  positions?: tf.Tensor2D;
  /**
   * Self-attention: keys/values of earlier positions (`key`, `value`), extended in place by this
   * call. Cross-attention: the memory's keys/values (`memoryKey`, `memoryValue`), projected at the
   * first call and reused after, so one cache must serve one memory only.
   */
  cache?: LayerCache;
}

/**
 * Multi-head attention with its four projections (Vaswani et al. 2017, §3.2.2): children `query`,
 * `key`, `value` (`[dModel, H·hs]`, `[dModel, Hkv·hs]`) and `output` (`[H·hs, dModel]`).
 * Self-attention by default; cross-attention when called with `memory`. The attention itself is
 * `@tformer/attention`'s `scaledDotProductAttention`.
 *
 * Arguments: `dModel`, `numHeads`, `numKeyValueHeads`, `headSize`, `bias`, `dropout`, `rope`,
 * `kernel`.
 * Call: `apply(x [B, T, dModel], { memory, causal, mask, positions, cache })` → `[B, T, dModel]`.
 *
 * @example
 * ```ts
 * const attn = new TransformerAttention({ dModel: 16, numHeads: 4, rng: 0 });
 * const y = attn.apply(x, { causal: true }); // [B, T, 16]
 * ```
 */
export class TransformerAttention extends Module {
  readonly config: Required<TransformerAttentionConfig>;
  readonly headSize: number;
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly output: Dense;
  readonly #rng: Rng;

  constructor(options: TransformerAttentionOptions) {
    super();
    const { dModel, numHeads } = options;
    if (options.headSize === undefined && dModel % numHeads !== 0) {
      throw new ModelConfigError('dModel', `${dModel} is not divisible by numHeads ${numHeads}`);
    }
    this.config = {
      dModel,
      numHeads,
      numKeyValueHeads: options.numKeyValueHeads ?? numHeads,
      headSize: options.headSize ?? dModel / numHeads,
      bias: options.bias ?? true,
      dropout: options.dropout ?? 0,
      rope: options.rope ?? false,
      kernel: options.kernel ?? 'auto',
    };
    const kvHeads = this.config.numKeyValueHeads;
    if (numHeads % kvHeads !== 0) {
      throw new ModelConfigError(
        'numKeyValueHeads',
        `numHeads ${numHeads} is not a multiple of numKeyValueHeads ${kvHeads}`,
      );
    }
    this.headSize = this.config.headSize;
    const rng = resolveRng(options.rng);
    const dense = (name: string, outputDim: number, init?: Initializer, inputDim = dModel) =>
      this.addModule(
        name,
        new Dense({
          inputDim,
          outputDim,
          useBias: this.config.bias,
          kernelInitializer: init,
          rng: rng.fork(),
        }),
      );
    this.query = dense('query', numHeads * this.headSize, options.kernelInitializer);
    this.key = dense('key', kvHeads * this.headSize, options.kernelInitializer);
    this.value = dense('value', kvHeads * this.headSize, options.kernelInitializer);
    this.output = dense(
      'output',
      dModel,
      options.outputInitializer ?? options.kernelInitializer,
      numHeads * this.headSize,
    );
    this.#rng = this.addRng('rng', rng.fork());
  }

  apply(x: tf.Tensor, call: TransformerAttentionCall = {}): tf.Tensor {
    const [B, T] = x.shape as [number, number];
    const { numHeads, numKeyValueHeads, dropout } = this.config;
    const hs = this.headSize;
    const dropping = this.training && dropout > 0;
    const seed = dropping ? this.#rng.nextUint32() : 0;
    return tf.tidy(() => {
      // [B, L, n·hs] → [B, L, n, hs] → [B, n, L, hs]: heads become a batch axis for attention.
      const heads = (t: tf.Tensor, n: number, len: number) =>
        tf.transpose(tf.reshape(t, [B, len, n, hs]), [0, 2, 1, 3]) as tf.Tensor4D;
      const project = (source: tf.Tensor) => {
        const S = source.shape[1]!;
        return {
          k: heads(this.key.apply(source), numKeyValueHeads, S), // [B, Hkv, S, hs]
          v: heads(this.value.apply(source), numKeyValueHeads, S), // [B, Hkv, S, hs]
        };
      };
      let q = heads(this.query.apply(x), numHeads, T); // [B, H, T, hs]
      let keys: tf.Tensor4D;
      let values: tf.Tensor4D;
      if (call.memory) {
        // Cross-attention: the memory is the same at every decoding step, so with a cache its
        // keys/values are projected once (projecting all S positions would otherwise cost more
        // than the rest of a one-token step).
        const cache = call.cache;
        if (cache && !(cache.memoryKey && cache.memoryValue)) {
          const { k, v } = project(call.memory);
          cache.memoryKey = tf.keep(k);
          cache.memoryValue = tf.keep(v);
        }
        ({ k: keys, v: values } =
          cache?.memoryKey && cache.memoryValue
            ? { k: cache.memoryKey, v: cache.memoryValue }
            : project(call.memory));
      } else {
        let { k, v } = project(x);
        if (this.config.rope) {
          const past = call.cache?.key?.shape[2] ?? 0;
          const positions =
            call.positions ??
            (tf.reshape(tf.range(past, past + T, 1, 'int32'), [1, T]) as tf.Tensor2D);
          q = applyRotary(q, positions);
          k = applyRotary(k, positions);
        }
        if (call.cache) {
          // Append this call's keys/values to the cache: [B, Hkv, S_past + T, hs].
          const { key: pastK, value: pastV } = call.cache;
          k = pastK ? tf.concat([pastK, k], 2) : k;
          v = pastV ? tf.concat([pastV, v], 2) : v;
          pastK?.dispose();
          pastV?.dispose();
          call.cache.key = tf.keep(k);
          call.cache.value = tf.keep(v);
        }
        keys = k;
        values = v;
      }
      const { kernel } = this.config;
      // Only the per-head kernel has (seeded) attention dropout.
      const batched =
        !dropping &&
        (kernel === 'batched' || (kernel === 'auto' && T * keys.shape[2] <= 128 * 128));
      const y = batched
        ? batchedAttention(q, keys, values, { causal: call.causal, mask: call.mask })
        : scaledDotProductAttention(q, keys, values, {
            causal: call.causal ?? false,
            mask: call.mask,
            dropout: dropping ? dropout : 0,
            seed,
          }); // [B, H, T, hs]
      // [B, H, T, hs] → [B, T, H, hs] → [B, T, H·hs]: heads side by side again.
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, numHeads * hs]);
      return this.output.apply(merged);
    });
  }
}
