import * as tf from '@tensorflow/tfjs-core';
import {
  dropoutMasks,
  type ExactAttentionKernel,
  type SavedTensors,
  softmaxGrad,
  withWeights,
} from './attention-kernels.js';
import { channelProduct } from './channel-product.js';
import { HeadMasks } from './mask-plan.js';

/**
 * The batched kernel's wasm form: the same maths, masks, dropout masks and saved tensors (q in
 * its transposed layout) as `batchedAttention`, with its six batched products run as depthwise
 * convolutions ({@link channelProduct}) instead of wasm's scalar batched matMul. N = B·Hkv
 * key/value heads are the channels; the g·T = G query rows of a key/value head (GQA) are one axis.
 *
 * The `[T, S]`-sized tensors (scores, probabilities, their gradients) live as `[G, N, S]`: keys
 * last, so softmax and its backward row sums stay single last-axis kernels, and that layout is
 * what a convolution returns for q·kᵀ and dO·vᵀ and takes as the filter of dSᵀ·q and Pdᵀ·dO. Only
 * P·v (forward) and dS·k (backward) need one big transpose each; every other transpose is of a
 * `[T, d]`-sized operand.
 */
export const channelAttention: ExactAttentionKernel = (q, k, v, dims, options, wantWeights) => {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const [N, G] = [B * Hkv, (H / Hkv) * T];
  let weights: tf.Tensor | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const masks = new HeadMasks(options.plan, dims);
    const { bias, keep } = masks.whole(); // [T, S] or [B|1, H|1, T|1, S]
    const qT = tf.transpose(tf.reshape(tf.mul(qIn!, options.scale), [N, G, dk]), [1, 2, 0]); // [G, dk, N]
    const kF = tf.transpose(tf.reshape(kIn!, [N, S, dk]), [2, 0, 1]); // [dk, N, S]
    let scores: tf.Tensor = channelProduct(qT, kF, 'inner'); // [G, N, S]
    if (bias) scores = addRowMajor(scores, bias, dims);
    let p = tf.softmax(scores); // [G, N, S]
    if (keep) p = mulRowMajor(p, keep, dims); // a fully masked row becomes zeros, not a uniform row
    masks.dispose();
    if (wantWeights) weights = tf.keep(headMajor(p, dims)); // [B, H, T, S]
    const drop = options.dropout > 0 ? rowMajor(dropoutMasks(dims, options), dims) : undefined;
    const pd = drop ? tf.mul(p, drop) : p; // [G, N, S]
    const vF = tf.transpose(tf.reshape(vIn!, [N, S, dv]), [1, 0, 2]); // [S, N, dv]
    const out = channelProduct(tf.transpose(pd, [0, 2, 1]), vF, 'inner'); // [G, S, N] → [G, N, dv]
    save([qT, kIn!, vIn!, p, ...(drop ? [drop] : [])]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qTS, kS, vS, pS, dropS] = saved as SavedTensors;
      const dOT = tf.transpose(tf.reshape(dy, [N, G, dv]), [1, 2, 0]); // [G, dv, N]
      const vT = tf.transpose(tf.reshape(vS, [N, S, dv]), [2, 0, 1]); // [dv, N, S]
      let dP: tf.Tensor = channelProduct(dOT, vT, 'inner'); // [G, N, S]
      if (dropS) dP = tf.mul(dP, dropS);
      const dS = softmaxGrad(pS, dP); // [G, N, S]
      const pdS = dropS ? tf.mul(pS, dropS) : pS;
      const kF = tf.transpose(tf.reshape(tf.mul(kS, options.scale), [N, S, dk]), [1, 0, 2]); // [S, N, dk]
      const dQ = channelProduct(tf.transpose(dS, [0, 2, 1]), kF, 'inner'); // [G, S, N] → [G, N, dk]
      const dK = channelProduct(qTS, dS, 'outer'); // [dk, N, S]; q is pre-scaled
      const dV = channelProduct(dOT, pdS, 'outer'); // [dv, N, S]
      return [
        tf.reshape(tf.transpose(dQ, [1, 0, 2]), [B, H, T, dk]), // [N, G, dk] = [B, H, T, dk]
        tf.reshape(tf.transpose(dK, [1, 2, 0]), [B, Hkv, S, dk]), // [N, S, dk] = [B, Hkv, S, dk]
        tf.reshape(tf.transpose(dV, [1, 2, 0]), [B, Hkv, S, dv]), // [N, S, dv] = [B, Hkv, S, dv]
      ];
    };
    const value = tf.reshape(tf.transpose(out, [1, 0, 2]), [B, H, T, dv]); // [N, G, dv] = [B, H, T, dv]
    return { value: value as tf.Tensor4D, gradFunc };
  });
  return withWeights(op(q, k, v) as tf.Tensor4D, weights);
};

type Dims = { B: number; H: number; Hkv: number; T: number; S: number };

/** `[B, H, T, S]` = `[N, G, S]` as `[G, N, S]`. */
function rowMajor(x: tf.Tensor, dims: Dims) {
  const { B, H, Hkv, T, S } = dims;
  return tf.transpose(tf.reshape(x, [B * Hkv, (H / Hkv) * T, S]), [1, 0, 2]); // [G, N, S]
}

/** `[G, N, S]` back to `[B, H, T, S]`. */
function headMajor(x: tf.Tensor, dims: Dims) {
  const { B, H, T, S } = dims;
  return tf.reshape(tf.transpose(x, [1, 0, 2]), [B, H, T, S]); // [N, G, S] = [B, H, T, S]
}

/**
 * A mask term (`[T, S]` or `[B|1, H|1, T|1, S]`) in the scores' `[G, N, S]` layout, viewed as
 * `[g, T|1, B|1, Hkv|1, S]` so that it broadcasts; a transpose only where a non-unit axis moves.
 */
function termRowMajor(term: tf.Tensor, dims: Dims): { term: tf.Tensor; view: number[] } {
  const { B, H, Hkv, T, S } = dims;
  const g = H / Hkv;
  if (term.rank === 2) {
    const rows = term.shape[0]!;
    return { term: tf.reshape(term, [rows, 1, S]), view: [g, T, B * Hkv, S] }; // [T|1, 1, S] vs [g, T, N, S]
  }
  const [b, h, t] = term.shape as [number, number, number, number];
  const [hkv, gg] = h === 1 ? [1, 1] : [Hkv, g];
  const five = [b, hkv, gg, t, S]; // [B|1, Hkv|1, g|1, T|1, S]
  const perm = [2, 3, 0, 1, 4]; // → [g|1, T|1, B|1, Hkv|1, S]
  const moved = perm.map((i) => five[i]!);
  const order = perm.filter((i) => five[i]! > 1);
  const inOrder = order.every((axis, i) => i === 0 || axis > order[i - 1]!);
  const x = inOrder ? tf.reshape(term, moved) : tf.transpose(tf.reshape(term, five), perm); // [g|1, T|1, B|1, Hkv|1, S]
  return { term: x, view: [g, T, B, Hkv, S] };
}

/** scores + bias in the `[G, N, S]` layout. */
function addRowMajor(scores: tf.Tensor, bias: tf.Tensor, dims: Dims): tf.Tensor {
  const { term, view } = termRowMajor(bias, dims);
  return tf.reshape(tf.add(tf.reshape(scores, view), term), scores.shape); // [G, N, S]
}

/** p · keep in the `[G, N, S]` layout. */
function mulRowMajor(p: tf.Tensor, keep: tf.Tensor, dims: Dims): tf.Tensor {
  const { term, view } = termRowMajor(keep, dims);
  return tf.reshape(tf.mul(tf.reshape(p, view), term), p.shape); // [G, N, S]
}
