import * as tf from '@tensorflow/tfjs-core';
import { dropoutMasks, type ExactAttentionKernel } from './attention-kernels.js';
import { HeadMasks } from './mask-plan.js';

/**
 * All batches and heads at once: two rank-4 products, one softmax, gradients by autodiff. On wasm
 * rank-4 products run on a scalar loop, but a handful of ops beats the per-head kernel's few
 * dozen ops per head when heads are small (short sequences, many heads): the per-op overhead
 * dominates there (see docs/benchmarks.md). Same masks, zeros for fully masked rows, and the same
 * seeded dropout masks as the per-head kernel, so choosing a kernel never changes a result.
 *
 * GQA without repeating keys: the query heads of one key/value head are contiguous, so
 * `[B, H, T, dk]` viewed as `[B, Hkv, g·T, dk]` (g = H / Hkv) meets `[B, Hkv, S, dk]` directly.
 */
export const batchedAttention: ExactAttentionKernel = (q, k, v, dims, options, wantWeights) => {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const group = H / Hkv;
  return tf.tidy(() => {
    const masks = new HeadMasks(options.plan, dims);
    const { bias, keep } = masks.whole(); // [B|1, H|1, T|1, S]
    // Without GQA (group 1) the grouped views are the tensors themselves: no reshape kernels.
    const view = (x: tf.Tensor, shape: number[]) => (group === 1 ? x : tf.reshape(x, shape));
    const grouped = view(tf.mul(q, options.scale), [B, Hkv, group * T, dk]); // [B, Hkv, g·T, dk]
    let scores: tf.Tensor = view(tf.matMul(grouped, k, false, true), [B, H, T, S]); // [B, H, T, S]
    if (bias) scores = tf.add(scores, bias);
    let p = tf.softmax(scores);
    if (keep) p = tf.mul(p, keep); // a fully masked row becomes zeros, not a uniform row
    masks.dispose();
    const pd = options.dropout > 0 ? tf.mul(p, dropoutMasks(dims, options)) : p;
    const attended = tf.matMul(view(pd, [B, Hkv, group * T, S]), v); // [B, Hkv, g·T, dv]
    const output = view(attended, [B, H, T, dv]) as tf.Tensor4D; // [B, H, T, dv]
    return wantWeights ? { output, weights: p as tf.Tensor4D } : { output };
  });
};
