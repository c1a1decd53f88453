import * as tf from '@tensorflow/tfjs-core';
import { AlibiBias, RotaryEmbedding } from '@tformer/embeddings';
import { Dense, type Initializer, Module, type Rng, type RngOption, resolveRng } from '@tformer/nn';
import type { AttentionHooks } from './attention-hooks.js';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import type { KVCache } from './kv-cache.js';
import { checkInput, checkPositions, checkQuery, positiveInt } from './mha-checks.js';
import { fusedProjections, fuseProjections, splitHeads } from './projections.js';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product-attention.js';

export interface MultiHeadAttentionConfig {
  /** Query heads H. */
  numHeads: number;
  /** Per-head size of queries and keys. */
  headSize: number;
  /** Per-head size of values. Default `headSize`. */
  valueHeadSize?: number;
  /** Model width: the last axis of the query input. */
  dModel: number;
  /**
   * Width of the cross-attention memory, the last axis of the key input, when it differs from
   * `dModel`. Default `dModel`.
   */
  memoryDim?: number;
  /** Last axis of the value input. Default `memoryDim`. */
  valueMemoryDim?: number;
  /** Last axis of the output, when it differs from `dModel`. Default `dModel`. */
  outputDim?: number;
  /** Biases on the four projections. Default true. */
  useBias?: boolean;
  /** Dropout rate on the attention probabilities, in training mode. Default 0. */
  dropout?: number;
  /** Key/value heads Hkv dividing H: H (default) is MHA, 1 is MQA, between is GQA. */
  numKeyValueHeads?: number;
  /** Sliding-window (local) attention: each query sees keys within `window` positions. */
  window?: number;
  /** Chunked online-softmax attention (see `scaledDotProductAttention`). Default false. */
  memoryEfficient?: boolean | { chunkSize: number };
  /** Exact kernel (see `scaledDotProductAttention`'s `kernel`). Default `auto`. */
  kernel?: 'auto' | 'per-head' | 'batched';
  /**
   * Positions inside attention (self-attention only): `rope` rotates queries and keys (Su et al.
   * 2021, `RotaryEmbedding` of @tformer/embeddings, `half` pairing), `alibi` adds the ALiBi bias
   * (Press et al. 2022). Default `none` (positions come from the embeddings).
   */
  position?: 'none' | 'rope' | 'alibi';
  /** Most positions RoPE supports (its cos/sin tables). Default 2048. */
  maxLength?: number;
  /** RoPE's θ base. Default 10000. */
  ropeBase?: number;
}

export interface MultiHeadAttentionOptions extends MultiHeadAttentionConfig {
  /** Generator (or seed) for the initial weights and the dropout masks. */
  rng?: RngOption;
  /** Initializer of the query, key and value kernels. Default Glorot uniform (as `Dense`). */
  kernelInitializer?: Initializer;
  /**
   * Initializer of the output kernel, which writes into a residual stream (GPT-2 scales it down
   * by depth). Default `kernelInitializer`.
   */
  outputInitializer?: Initializer;
}

export interface MultiHeadAttentionCall {
  /** Key input `[B, S, memoryDim]`. Default `value`. */
  key?: tf.Tensor;
  /** Value input `[B, S, valueMemoryDim]`. Default `query` (self-attention). */
  value?: tf.Tensor;
  /** `[B, S]` key padding or `[B|1, H|1, T|1, S]` mask (see `scaledDotProductAttention`). */
  mask?: tf.Tensor;
  /** Causal self-attention (decoder). Default false. */
  causal?: boolean;
  /**
   * Self-attention: appends this step's keys/values and attends to all cached ones.
   * Cross-attention: holds the projected keys/values of the key/value inputs (an encoder's
   * output, the same at every decoding step): projected at the first call, reused after without
   * reading the inputs again, so one cache serves one memory only.
   */
  cache?: KVCache;
  /**
   * RoPE positions `[B|1, T]` int32, one row per batch row (batched decoding with left padding).
   * Default `cache.length … cache.length + T − 1` for every row. Needs `position: 'rope'`.
   */
  positions?: tf.Tensor2D;
  /**
   * With a flat query `[B·T, dModel]` (a residual stream kept as rows): its batch size B. The
   * output is then flat too, `[B·T, outputDim]`, and no reshape runs around the projections.
   */
  batchSize?: number;
  /** Also return the attention probabilities `[B, H, T, S]` (for interpretability). */
  returnAttentionWeights?: boolean;
  /**
   * Read or replace `weights` `[B, H, T, S]` and `headOutput` `[B, H, T, dv]` during this call
   * (see {@link AttentionHooks}). A `weights` hook needs an exact (not memory-efficient) kernel.
   */
  hooks?: AttentionHooks;
}

/**
 * Multi-head attention (Vaswani et al. 2017, §3.2.2, arXiv:1706.03762): projects query, key and
 * value with `Dense` layers (`query`, `key`, `value`), attends per head with
 * `scaledDotProductAttention`, and projects the concatenated heads (`output`). Self-attention
 * (`value` omitted) or cross-attention (key/value length S ≠ T); grouped-query attention
 * (Ainslie et al. 2023) when `numKeyValueHeads` < `numHeads`; sliding-window attention with
 * `window`; RoPE (Su et al. 2021) or ALiBi (Press et al. 2022) positions with `position`;
 * memory-efficient attention with `memoryEfficient`; incremental decoding with a {@link KVCache}
 * (one per layer for self-attention, one more for cross-attention's projected memory).
 *
 * Arguments: see {@link MultiHeadAttentionOptions}. Call arguments: `apply(query [B, T,
 * dModel], { key, value, mask, causal, cache, positions, returnAttentionWeights })` → `[B, T, outputDim]`
 * (and the weights `[B, H, T, S]` when asked); or `apply(query [B·T, dModel], { batchSize: B, … })`
 * → `[B·T, outputDim]`. Self-attention over at least `dModel` rows projects queries, keys and
 * values with one product (the three kernels side by side; the parameters stay three).
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention({ numHeads: 4, headSize: 8, dModel: 32, rng: 0 });
 * const y = mha.apply(x, { causal: true }); // x [B, T, 32] → y [B, T, 32]
 * // Cross-attention while decoding: the memory [B, S, 32] is projected at the first step only.
 * const memoryCache = new KVCache();
 * const z = mha.apply(step, { value: memory, cache: memoryCache }); // step [B, 1, 32]
 * ```
 */
export class MultiHeadAttention extends Module {
  readonly config: Required<Omit<MultiHeadAttentionConfig, 'window'>> & {
    window: number | undefined;
  };
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly output: Dense;
  readonly rotary: RotaryEmbedding | undefined;
  readonly alibi: AlibiBias | undefined;
  readonly #rng: Rng;

  constructor(options: MultiHeadAttentionOptions) {
    super();
    const { numHeads, headSize, dModel } = options;
    for (const [name, v] of Object.entries({ numHeads, headSize, dModel })) positiveInt(name, v);
    const memoryDim = options.memoryDim ?? dModel;
    this.config = {
      numHeads,
      headSize,
      valueHeadSize: options.valueHeadSize ?? headSize,
      dModel,
      memoryDim,
      valueMemoryDim: options.valueMemoryDim ?? memoryDim,
      outputDim: options.outputDim ?? dModel,
      useBias: options.useBias ?? true,
      dropout: options.dropout ?? 0,
      numKeyValueHeads: options.numKeyValueHeads ?? numHeads,
      window: options.window,
      memoryEfficient: options.memoryEfficient ?? false,
      kernel: options.kernel ?? 'auto',
      position: options.position ?? 'none',
      maxLength: options.maxLength ?? 2048,
      ropeBase: options.ropeBase ?? 10000,
    };
    const c = this.config;
    for (const name of [
      'valueHeadSize',
      'memoryDim',
      'valueMemoryDim',
      'outputDim',
      'numKeyValueHeads',
    ] as const) {
      positiveInt(name, c[name]);
    }
    if (numHeads % c.numKeyValueHeads !== 0) {
      throw new AttentionArgumentError(
        'numKeyValueHeads',
        `a divisor of numHeads = ${numHeads}`,
        c.numKeyValueHeads,
      );
    }
    if (!(c.dropout >= 0 && c.dropout < 1))
      throw new AttentionArgumentError('dropout', 'a rate in [0, 1)', c.dropout);
    if (c.window !== undefined) positiveInt('window', c.window);
    if (!['none', 'rope', 'alibi'].includes(c.position)) {
      throw new AttentionArgumentError('position', "'none', 'rope' or 'alibi'", c.position);
    }
    // Checked before any layer is built: a throw after would leak the projections' weights.
    if (c.position === 'rope' && headSize % 2 !== 0)
      throw new AttentionArgumentError('headSize', 'an even key size for RoPE', headSize);
    // Registered: its draws seed attention dropout, so `randomState()` must save it.
    this.#rng = this.addRng('rng', resolveRng(options.rng));
    const dense = (name: string, inDim: number, outDim: number, init = options.kernelInitializer) =>
      this.addModule(
        name,
        new Dense({
          inputDim: inDim,
          outputDim: outDim,
          useBias: c.useBias,
          kernelInitializer: init,
          rng: this.#rng.fork(),
        }),
      );
    const kvHeads = c.numKeyValueHeads;
    this.query = dense('query', dModel, numHeads * headSize);
    this.key = dense('key', memoryDim, kvHeads * headSize);
    this.value = dense('value', c.valueMemoryDim, kvHeads * c.valueHeadSize);
    this.output = dense(
      'output',
      numHeads * c.valueHeadSize,
      c.outputDim,
      options.outputInitializer ?? options.kernelInitializer,
    );
    // Neither has parameters: registering them keeps the module tree complete without new names.
    this.rotary =
      c.position === 'rope'
        ? this.addModule(
            'rotary',
            new RotaryEmbedding({ headSize, maxLength: c.maxLength, base: c.ropeBase }),
          )
        : undefined;
    this.alibi =
      c.position === 'alibi' ? this.addModule('alibi', new AlibiBias({ numHeads })) : undefined;
  }

  apply(
    query: tf.Tensor,
    call: MultiHeadAttentionCall & { batchSize: number; returnAttentionWeights: true },
  ): { output: tf.Tensor2D; weights: tf.Tensor4D };
  apply(
    query: tf.Tensor,
    call: MultiHeadAttentionCall & { batchSize: number; returnAttentionWeights?: false },
  ): tf.Tensor2D;
  apply(
    query: tf.Tensor,
    call: MultiHeadAttentionCall & { returnAttentionWeights: true },
  ): { output: tf.Tensor3D; weights: tf.Tensor4D };
  apply(
    query: tf.Tensor,
    call?: MultiHeadAttentionCall & { returnAttentionWeights?: false },
  ): tf.Tensor3D;
  apply(
    query: tf.Tensor,
    call: MultiHeadAttentionCall,
  ): tf.Tensor2D | tf.Tensor3D | { output: tf.Tensor2D | tf.Tensor3D; weights: tf.Tensor4D };
  apply(
    query: tf.Tensor,
    call: MultiHeadAttentionCall = {},
  ): tf.Tensor2D | tf.Tensor3D | { output: tf.Tensor2D | tf.Tensor3D; weights: tf.Tensor4D } {
    const c = this.config;
    const selfAttention = call.value === undefined && call.key === undefined;
    const [B, T] = checkQuery(query, c.dModel, call.batchSize);
    const flat = query.rank === 2;
    // A flat query is its own key/value only in self-attention; cross-attention reads [B, S, d].
    const value = call.value ?? (flat ? undefined : query);
    const key = call.key ?? value;
    if (key) checkInput('key', key, c.memoryDim, B);
    if (value) checkInput('value', value, c.valueMemoryDim, B, key!.shape[1]);
    else if (key) checkInput('key', key, c.memoryDim, B, T); // the flat query is the value
    if (c.position !== 'none' && !selfAttention) {
      throw new AttentionArgumentError('position', "'none' for cross-attention", c.position);
    }
    if (call.positions) checkPositions(call.positions, c.position, B, T);
    // Cross-attention with a filled cache: the memory's keys/values were projected before.
    const cached = !selfAttention && call.cache && call.cache.length > 0 ? call.cache : undefined;
    const hooks = call.hooks;
    const wantWeights = call.returnAttentionWeights === true || hooks?.weights !== undefined;
    if (hooks?.weights && c.memoryEfficient) {
      throw new AttentionArgumentError('call.hooks.weights', 'memoryEfficient false', true);
    }
    const dropout = this.training ? c.dropout : 0;
    const seed = dropout > 0 ? this.#rng.nextUint32() : 0;
    const result = tf.tidy(() => {
      const S = key?.shape[1] ?? T;
      const [H, Hkv, dk, dv] = [c.numHeads, c.numKeyValueHeads, c.headSize, c.valueHeadSize];
      let q: tf.Tensor4D;
      let k: tf.Tensor4D;
      let v: tf.Tensor4D;
      if (selfAttention && fuseProjections(B * T, c.dModel)) {
        const rows = flat ? query : tf.reshape(query, [B * T, c.dModel]); // [B·T, dModel]
        const layers = [this.query, this.key, this.value] as const;
        [q, k, v] = fusedProjections(rows as tf.Tensor2D, layers, B, T, { H, Hkv, dk, dv });
      } else {
        q = splitHeads(this.query.apply(query), B, T, H, dk); // [B, H, T, dk]
        if (cached) {
          [k, v] = [cached.keys!, cached.values!]; // [B, Hkv, S, dk], [B, Hkv, S, dv]
        } else {
          k = splitHeads(this.key.apply(key ?? query), B, S, Hkv, dk); // [B, Hkv, S, dk]
          v = splitHeads(this.value.apply(value ?? query), B, S, Hkv, dv); // [B, Hkv, S, dv]
        }
      }
      if (!cached) {
        if (this.rotary) {
          // Position of the first new token: what the cache held before this step.
          const at = call.positions ?? call.cache?.length ?? 0;
          q = this.rotary.apply(q, at) as tf.Tensor4D; // [B, H, T, dk]
          k = this.rotary.apply(k, at) as tf.Tensor4D; // [B, Hkv, S, dk]
        }
        // Self-attention: [B, Hkv, cached + S, d]; cross-attention: stores the memory's [B, Hkv, S, d].
        if (call.cache) ({ keys: k, values: v } = call.cache.update(k, v));
      }
      const attended = scaledDotProductAttention(q, k, v, {
        mask: call.mask,
        // ALiBi's bias is made per tile inside the kernels (queries last, as the cache needs).
        alibiSlopes: this.alibi?.slopes,
        causal: call.causal,
        window: c.window,
        dropout,
        seed,
        memoryEfficient: c.memoryEfficient,
        kernel: c.kernel,
        returnAttentionWeights: wantWeights,
      }) as tf.Tensor4D | AttentionResult;
      let heads = attended instanceof tf.Tensor ? attended : attended.output;
      let weights = attended instanceof tf.Tensor ? undefined : attended.weights;
      if (hooks) {
        const patched = hooked(hooks.weights, 'weights', weights);
        if (patched !== weights) {
          weights = patched as tf.Tensor4D;
          heads = tf.matMul(weights, repeatKVHeads(v, c.numHeads)) as tf.Tensor4D; // [B, H, T, dv]
        }
        heads = hooked(hooks.headOutput, 'headOutput', heads) as tf.Tensor4D;
      }
      // [B, H, T, dv] → [B, T, H·dv] (flat: [B·T, H·dv]); at T = 1 the transpose moves nothing.
      const merged = tf.reshape(
        T === 1 ? heads : tf.transpose(heads, [0, 2, 1, 3]),
        flat ? [B * T, H * dv] : [B, T, H * dv],
      );
      const output = this.output.apply(merged) as tf.Tensor2D | tf.Tensor3D; // [B, T, outputDim] or flat
      // Only what the caller asked for leaves the tidy: a hook's weights are disposed here.
      return call.returnAttentionWeights && weights ? { output, weights } : { output };
    });
    return call.returnAttentionWeights
      ? (result as { output: tf.Tensor2D | tf.Tensor3D; weights: tf.Tensor4D })
      : result.output;
  }

  getConfig(): MultiHeadAttentionConfig {
    const { window, ...rest } = this.config;
    return window === undefined ? { ...rest } : { ...rest, window };
  }

  static fromConfig(config: MultiHeadAttentionConfig, rng?: RngOption): MultiHeadAttention {
    return new MultiHeadAttention({ ...config, rng });
  }
}

/** A hook's replacement for `x` (checked to have its shape), or `x` itself. */
function hooked<T extends tf.Tensor | undefined>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only reads returns nothing
  hook: ((t: tf.Tensor) => tf.Tensor | undefined | void) | undefined,
  name: string,
  x: T,
): tf.Tensor | T {
  if (!hook || !x) return x;
  const replacement = hook(x);
  if (!replacement) return x;
  if (replacement.dtype !== x.dtype || replacement.shape.join() !== x.shape.join()) {
    throw new AttentionShapeError(
      `hook '${(hook as { point?: string }).point ?? name}' result`,
      `${x.dtype} [${x.shape.join(', ')}]`,
      replacement.shape,
    );
  }
  return replacement;
}

/** `[B, Hkv, S, d]` → `[B, H, S, d]`: query head h reads key/value head ⌊h / (H / Hkv)⌋. */
function repeatKVHeads(v: tf.Tensor4D, heads: number): tf.Tensor4D {
  const [B, Hkv, S, d] = v.shape;
  if (Hkv === heads) return v;
  const tiled = tf.tile(tf.expandDims(v, 2), [1, 1, heads / Hkv, 1, 1]); // [B, Hkv, g, S, d]
  return tf.reshape(tiled, [B, heads, S, d]);
}
