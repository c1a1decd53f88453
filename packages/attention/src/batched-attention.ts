import * as tf from '@tensorflow/tfjs-core';
import {
  dropoutMasks,
  type ExactAttentionKernel,
  type SavedTensors,
  softmaxGrad,
  withWeights,
} from './attention-kernels.js';
import { channelAttention } from './channel-attention.js';
import { useChannelProducts } from './channel-product.js';
import { HeadMasks } from './mask-plan.js';

/**
 * All batches and heads at once: two rank-4 products and one softmax, as one `tf.customGrad` op
 * over (q, k, v): a handful of ops beats the per-head kernel's few dozen ops per head (see
 * docs/benchmarks.md). wasm runs rank-4 products on a scalar loop, so there, once heads are big
 * enough, the same maths runs as depthwise convolutions (`channelAttention`). Same masks, zeros
 * for fully masked rows, and the same seeded dropout masks as the per-head kernel, so choosing a
 * kernel never changes a result.
 *
 * Why a custom gradient: under tfjs' autodiff every forward kernel saved `Identity` copies of its
 * inputs and outputs and the per-op gradients added casts and broadcast reductions (~45 kernels
 * per call); here only the scaled queries, keys, values, probabilities (and the dropout mask) are
 * saved, and the backward pass is dV = Pdᵀ·dO, dP = (dO·Vᵀ)⊙drop, dS = P⊙(dP − rowsum(dP⊙P)),
 * dQ = dS·K·scale, dK = dSᵀ·(Q·scale). Masked entries of P are exact zeros, so dS is zero there
 * and the masks need no saving.
 *
 * GQA without repeating keys: the query heads of one key/value head are contiguous, so
 * `[B, H, T, dk]` viewed as `[B, Hkv, g·T, dk]` (g = H / Hkv) meets `[B, Hkv, S, dk]` directly.
 */
export const batchedAttention: ExactAttentionKernel = (q, k, v, dims, options, wantWeights) => {
  if (useChannelProducts(dims)) return channelAttention(q, k, v, dims, options, wantWeights);
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const group = H / Hkv;
  // Without GQA (group 1) the grouped views are the tensors themselves: no reshape kernels.
  const view = (x: tf.Tensor, shape: number[]) => (group === 1 ? x : tf.reshape(x, shape));
  let weights: tf.Tensor | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const masks = new HeadMasks(options.plan, dims);
    const { bias, keep } = masks.whole(); // [B|1, H|1, T|1, S]
    const grouped = view(tf.mul(qIn!, options.scale), [B, Hkv, group * T, dk]); // [B, Hkv, g·T, dk]
    let scores: tf.Tensor = view(tf.matMul(grouped, kIn!, false, true), [B, H, T, S]); // [B, H, T, S]
    if (bias) scores = tf.add(scores, bias);
    let p = tf.softmax(scores);
    if (keep) p = tf.mul(p, keep); // a fully masked row becomes zeros, not a uniform row
    masks.dispose();
    if (wantWeights) weights = tf.keep(tf.clone(p));
    const drop = options.dropout > 0 ? dropoutMasks(dims, options) : undefined; // [B, H, T, S]
    const pd = drop ? tf.mul(p, drop) : p;
    const attended = tf.matMul(view(pd, [B, Hkv, group * T, S]), vIn!); // [B, Hkv, g·T, dv]
    save([grouped, kIn!, vIn!, p, ...(drop ? [drop] : [])]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qg, kS, vS, pS, dropS] = saved as SavedTensors;
      const dO = view(dy, [B, Hkv, group * T, dv]); // [B, Hkv, g·T, dv]
      const pg = view(pS, [B, Hkv, group * T, S]); // [B, Hkv, g·T, S]
      const dropG = dropS && view(dropS, [B, Hkv, group * T, S]);
      const pdg = dropG ? tf.mul(pg, dropG) : pg;
      let dP = tf.matMul(dO, vS, false, true); // [B, Hkv, g·T, S]
      if (dropG) dP = tf.mul(dP, dropG);
      const dS = softmaxGrad(pg, dP); // [B, Hkv, g·T, S]
      return [
        view(tf.mul(tf.matMul(dS, kS), options.scale), [B, H, T, dk]), // [B, H, T, dk]
        tf.matMul(dS, qg, true, false), // [B, Hkv, S, dk]; q is pre-scaled
        tf.matMul(pdg, dO, true, false), // [B, Hkv, S, dv]
      ];
    };
    return { value: view(attended, [B, H, T, dv]) as tf.Tensor4D, gradFunc }; // [B, H, T, dv]
  });
  return withWeights(op(q, k, v) as tf.Tensor4D, weights);
};
