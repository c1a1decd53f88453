import * as tf from '@tensorflow/tfjs-core';
import { type KernelDims, memoryEfficientAttention, plainAttention } from './attention-kernels.js';
import { batchedAttention } from './batched-attention.js';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { planMask } from './mask-plan.js';

export interface AttentionOptions {
  /**
   * Bool/int (non-zero = may attend) or float additive (0 = keep, ≤ -1e9 or -Infinity = masked)
   * mask: `[B, S]` key padding, or `[B|1, H|1, T|1, S]`. Combined with `causal` and `window`.
   */
  mask?: tf.Tensor;
  /** Query at position p sees keys at positions ≤ p. Default false. */
  causal?: boolean;
  /** Local attention: keys within `window` positions (one-sided when `causal`). */
  window?: number;
  /** Absolute position of query 0 for `causal`/`window`/ALiBi. Default `S - T` (cached decoding). */
  queryOffset?: number;
  /**
   * ALiBi (Press et al. 2022): head h's scores get −alibiSlopes[h]·|query position − key
   * position|, made per tile, so the memory-efficient kernel stays O(T) in memory. One per head.
   */
  alibiSlopes?: readonly number[];
  /** Multiplies q·kᵀ. Default 1/√dk. */
  scale?: number;
  /**
   * Dropout rate on the attention probabilities. Default 0. The exact kernels draw the same masks
   * for a seed; the memory-efficient kernel draws its own per tile.
   */
  dropout?: number;
  /** Seed of the dropout masks; the same seed drops the same entries. Default random. */
  seed?: number;
  /**
   * Tiles of `chunkSize` queries × `chunkSize` keys with an online softmax (memory O(T) instead
   * of O(T·S)), recomputed in the backward pass. `true` uses `chunkSize` 256.
   */
  memoryEfficient?: boolean | { chunkSize: number };
  /**
   * Which exact (not memory-efficient) kernel: `per-head` runs rank-2 products per (batch, head)
   * with hand-written gradients, fast on wasm for long sequences; `batched` runs rank-4 products
   * for all heads at once, fast when heads are small; `auto` (default) picks by backend and size
   * (see {@link useBatchedKernel}). Results are the same either way.
   */
  kernel?: 'auto' | 'per-head' | 'batched';
  /** Also return the attention probabilities `[B, H, T, S]` (plain path only). */
  returnAttentionWeights?: boolean;
}

export interface AttentionResult {
  /** `[B, H, T, dv]` */
  output: tf.Tensor4D;
  /** `[B, H, T, S]`, before dropout; rows of fully masked queries are zero. Treat as constants. */
  weights: tf.Tensor4D;
}

const DEFAULT_CHUNK = 256;
/**
 * T·S·(dk + dv) up to which `auto` picks the batched kernel, on the backends where the per-head
 * kernel wins on large heads; every other backend always takes the batched one.
 */
const BATCHED_MAX_WORK: Readonly<Record<string, number>> = { wasm: 2 ** 22, cpu: 2 ** 18 };

/**
 * softmax(q·kᵀ·scale + mask)·v over heads (Vaswani et al. 2017, eq. 1), with grouped key/value
 * heads (Ainslie et al. 2023): `query [B, H, T, dk]`, `key [B, Hkv, S, dk]`, `value
 * [B, Hkv, S, dv]` with H a multiple of Hkv. A query with every key masked gets zeros, never NaN.
 * Gradients flow to query, key and value (not to the mask). The caller owns what is returned.
 *
 * @example
 * ```ts
 * const out = scaledDotProductAttention(q, k, v, { causal: true }); // [B, H, T, dv]
 * ```
 */
export function scaledDotProductAttention(
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  options: AttentionOptions & { returnAttentionWeights: true },
): AttentionResult;
export function scaledDotProductAttention(
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  options?: AttentionOptions & { returnAttentionWeights?: false },
): tf.Tensor4D;
export function scaledDotProductAttention(
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  options: AttentionOptions,
): tf.Tensor4D | AttentionResult;
export function scaledDotProductAttention(
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  options: AttentionOptions = {},
): tf.Tensor4D | AttentionResult {
  const dims = attentionDims(query, key, value);
  const {
    scale = 1 / Math.sqrt(dims.dk),
    dropout = 0,
    memoryEfficient = false,
    kernel: choice = 'auto',
  } = options;
  if (!['auto', 'per-head', 'batched'].includes(choice)) {
    throw new AttentionArgumentError('options.kernel', "'auto', 'per-head' or 'batched'", choice);
  }
  if (memoryEfficient && choice !== 'auto') {
    throw new AttentionArgumentError('options.kernel', "'auto' with memoryEfficient", choice);
  }
  if (!Number.isFinite(scale))
    throw new AttentionArgumentError('options.scale', 'a finite number', scale);
  if (!(dropout >= 0 && dropout < 1))
    throw new AttentionArgumentError('options.dropout', 'a rate in [0, 1)', dropout);
  const chunkSize =
    memoryEfficient === true ? DEFAULT_CHUNK : memoryEfficient ? memoryEfficient.chunkSize : 0;
  if (memoryEfficient) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new AttentionArgumentError(
        'options.memoryEfficient.chunkSize',
        'a positive integer',
        chunkSize,
      );
    }
    if (options.returnAttentionWeights) {
      throw new AttentionArgumentError(
        'options.returnAttentionWeights',
        'false with memoryEfficient',
        true,
      );
    }
  }
  if (options.seed !== undefined && !(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw new AttentionArgumentError('options.seed', 'a non-negative safe integer', options.seed);
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const result = tf.tidy(() => {
    const kernel = { plan: planMask(dims, options), scale, dropout, seed };
    const [q, k, v] = [query, key, value] as tf.Tensor4D[];
    if (memoryEfficient)
      return { output: memoryEfficientAttention(q!, k!, v!, dims, kernel, chunkSize) };
    const wantWeights = options.returnAttentionWeights === true;
    return choice === 'batched' || (choice === 'auto' && useBatchedKernel(dims))
      ? batchedAttention(q!, k!, v!, dims, kernel, wantWeights)
      : plainAttention(q!, k!, v!, dims, kernel, wantWeights);
  });
  return result.weights ? (result as AttentionResult) : result.output;
}

/**
 * Whether `kernel: 'auto'` runs the batched kernel on `backend` (default: the active one).
 * - cpu: the batched kernel's few rank-4 ops beat the per-head kernel's ~25 ops per head only
 *   while a head's products are small, so the size rule T·S·(dk + dv) ≤ 2¹⁸ applies.
 * - wasm: the batched kernel runs its products as depthwise convolutions (channel-product.ts),
 *   which XNNPACK serves at rank-2 matMul speed, so it wins up to T·S·(dk + dv) ≤ 2²². Forward +
 *   backward, causal, CPU ms, 2026-12-06 (bench/kernels.ts): B 12, H 4, T 64, hs 32 13 vs 34
 *   (batched vs per-head); B 1, H 4, T 256, hs 32 14 vs 21; past it the two trade places
 *   (T 512: hs 64, H 4 124 vs 156; hs 32, B 2, H 8 271 vs 223).
 * - Every other backend: batched. Native and GPU backends run rank-4 products as fast batched
 *   GEMMs, and every op costs a dispatch. On node, forward + backward of B 12, H 4, hs 32, causal
 *   takes 6 vs 75 ms at T = 64 and 16 vs 93 ms at T = 192 (batched vs per-head, 2026-11-29).
 */
export function useBatchedKernel(dims: KernelDims, backend: string = tf.getBackend()): boolean {
  const maxWork = BATCHED_MAX_WORK[backend];
  return maxWork === undefined || dims.T * dims.S * (dims.dk + dims.dv) <= maxWork;
}

/** Checks the three shapes against each other and names the first that does not fit. */
export function attentionDims(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor): KernelDims {
  for (const [name, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    if (t.dtype !== 'float32')
      throw new AttentionArgumentError(`${name}.dtype`, "'float32'", t.dtype);
  }
  if (query.rank !== 4) throw new AttentionShapeError('query', '[B, H, T, dk]', query.shape);
  const [B, H, T, dk] = query.shape as [number, number, number, number];
  const Hkv = key.shape[1] ?? 0;
  if (key.rank !== 4 || key.shape[0] !== B || key.shape[3] !== dk || Hkv < 1 || H % Hkv !== 0) {
    throw new AttentionShapeError(
      'key',
      `[B, Hkv, S, dk] with B = ${B}, Hkv dividing H = ${H}, dk = ${dk}`,
      key.shape,
    );
  }
  const S = key.shape[2]!;
  if (value.rank !== 4 || value.shape[0] !== B || value.shape[1] !== Hkv || value.shape[2] !== S) {
    throw new AttentionShapeError(
      'value',
      `[B, Hkv, S, dv] = [${B}, ${Hkv}, ${S}, dv]`,
      value.shape,
    );
  }
  return { B, H, Hkv, T, S, dk, dv: value.shape[3]! };
}
