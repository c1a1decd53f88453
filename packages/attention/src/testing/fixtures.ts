import * as tf from '@tensorflow/tfjs-core';
import type { KernelDims } from '../attention-kernels.js';
import { channelAttention } from '../channel-attention.js';
import { planMask } from '../mask-plan.js';
import { MultiHeadAttention, type MultiHeadAttentionOptions } from '../multi-head-attention.js';
import { type AttentionOptions, attentionDims } from '../scaled-dot-product-attention.js';

/** Test fixtures shared by the attention test files (not part of the build). */

/** Reproducible uniform values in [-1, 1) from a small LCG. */
export function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

/** The sizes of q `[B, H, T, dk]`, k `[B, Hkv, S, dk]` and v `[B, Hkv, S, dv]`: the kernels' own. */
export type Dims = KernelDims;

/** The reference's `allowed` for key padding: sequence b has `lengths[b]` valid keys. */
export const padding = (lengths: number[]) => (b: number, _h: number, _i: number, j: number) =>
  j < lengths[b]!;

/** Random q, k, v as arrays (for the references) and as fresh tensors. */
export function inputs(dims: Dims, seed: number) {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const q = random(B * H * T * dk, seed);
  const k = random(B * Hkv * S * dk, seed + 1);
  const v = random(B * Hkv * S * dv, seed + 2);
  return {
    q,
    k,
    v,
    tensors: () =>
      [
        tf.tensor4d(q, [B, H, T, dk]),
        tf.tensor4d(k, [B, Hkv, S, dk]),
        tf.tensor4d(v, [B, Hkv, S, dv]),
      ] as const,
  };
}

/** Options that return a plain tensor (weights are asked for explicitly where a test wants them). */
export type TensorOptions = Omit<AttentionOptions, 'returnAttentionWeights'>;

/**
 * The batched kernel's wasm form (channel-attention.ts) called directly, on any backend, with the
 * kernel options `scaledDotProductAttention` would give it: `auto` takes it on wasm only from
 * sizes the small test shapes do not reach.
 */
export function channelKernel(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: TensorOptions = {},
  wantWeights = false,
) {
  const dims = attentionDims(q, k, v);
  const { scale = 1 / Math.sqrt(dims.dk), dropout = 0, seed = 0 } = options;
  const kernel = { plan: planMask(dims, options), scale, dropout, seed };
  const [q4, k4, v4] = [q, k, v] as tf.Tensor4D[];
  return channelAttention(q4!, k4!, v4!, dims, kernel, wantWeights);
}

/** The kernels: exact per-head and batched, and memory-efficient with several tiles. */
export const VARIANTS: TensorOptions[] = [
  { kernel: 'per-head' },
  { kernel: 'batched' },
  { memoryEfficient: { chunkSize: 2 } },
];

/**
 * The small attention layer most tests share (2 heads of size 2 over d = 4), with `options` on
 * top: a test states only what it is about (`tinyAttention({ position: 'rope', rng: 38 })`).
 */
export function tinyAttention(
  options: Partial<MultiHeadAttentionOptions> = {},
): MultiHeadAttention {
  return new MultiHeadAttention({ numHeads: 2, headSize: 2, dModel: 4, ...options });
}
