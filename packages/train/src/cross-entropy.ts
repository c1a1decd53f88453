import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkLogits, checkNumber } from './validate.js';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /**
   * ε of label smoothing (Szegedy et al. 2016; the Transformer paper uses 0.1): the target is
   * (1 − ε)·one-hot + ε/V·uniform. Default 0.
   */
  labelSmoothing?: number;
  /** Label value whose positions (padding) contribute nothing and are not counted. Default -100. */
  ignoreIndex?: number;
  /** `mean` over counted positions (default) or their `sum` (for token-weighted accumulation). */
  reduction?: 'mean' | 'sum';
}

/**
 * Cross-entropy from unnormalised logits, computed through log-softmax so large logits never
 * overflow, with label smoothing and an ignored label for padding. Matches PyTorch's
 * `F.cross_entropy(logits, labels, ignore_index, label_smoothing)`.
 *
 * Per position i with label y: ℓᵢ = (1 − ε)·(−log pᵢ[y]) + ε·(−(1/V)·Σ_c log pᵢ[c]).
 * The mean is over positions whose label is not `ignoreIndex`; with none counted it is 0.
 * A label outside [0, V) that is not `ignoreIndex` makes the loss NaN (a wrong label must not
 * train silently; the Trainer's NaN guard then stops with a typed error).
 *
 * @param logits float32 `[..., V]`.
 * @param labels int32 with the shape of `logits` minus its last axis.
 * @returns a scalar the caller owns.
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1, ignoreIndex: 0 });
 * ```
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  { labelSmoothing = 0, ignoreIndex = -100, reduction = 'mean' }: CrossEntropyOptions = {},
): tf.Scalar {
  checkLogits('logits', logits);
  checkLabels('labels', labels, logits);
  checkNumber('options.labelSmoothing', labelSmoothing, { min: 0, max: 1 });
  const numClasses = logits.shape[logits.rank - 1]!;
  // One `tf.customGrad` op over the logits: under autodiff, log-softmax, the one-hot product, the
  // masking and the mean saved `Identity` copies and took ~60 kernels of gradient; the closed form
  // is (softmax·hitᵢ − targetᵢ)/denominator per row, from the saved log-probabilities.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // No positions: 0 (a sum over an empty tensor is not 0 on every backend: wasm's is garbage).
    if (labels.size === 0) return { value: tf.scalar(0), gradFunc: () => tf.zeros(logits.shape) };
    const { target, hit, weights } = targets(labels, numClasses, labelSmoothing, ignoreIndex);
    const logProbs = logSoftmaxRows(tf.reshape(x, [-1, numClasses])); // [N, V]
    // Ignored and out-of-range rows have all-zero targets, so one sum over every row and class
    // is the total loss; √(hits − counted) is 0, or NaN when a counted label is out of range.
    const count = tf.sum(weights);
    const nanIfOutOfRange = tf.sqrt(tf.sub(tf.sum(hit), count));
    const total = tf.sub(nanIfOutOfRange, tf.sum(tf.mul(target, logProbs)));
    const denominator = reduction === 'mean' ? tf.maximum(count, 1) : undefined;
    save([logProbs, target, hit, ...(denominator ? [denominator] : [])]);
    return {
      value: denominator ? tf.div(total, denominator) : total,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lp, t, h, d] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
        const factor = d ? tf.div(dy, d) : dy; // scalar
        // Rows without a hit (ignored, out of range) get 0: their softmax is masked by hit.
        const rows = tf.mul(tf.sub(tf.mul(tf.exp(lp), h), t), factor); // [N, V]
        return tf.reshape(rows, logits.shape);
      },
    };
  });
  return op(logits) as tf.Scalar;
}

/** Log-softmax over the last axis of rows `[N, V]`: x − max − log Σ exp(x − max), 6 kernels. */
function logSoftmaxRows(rows: tf.Tensor): tf.Tensor {
  const shifted = tf.sub(rows, tf.max(rows, -1, true)); // [N, V]
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
}

/**
 * The constants of a cross-entropy over N = labels.size rows: the smoothed one-hot target
 * `[N, V]`, all zero in the rows of ignored and out-of-range labels; `hit` `[N, 1]`, 1 where the
 * label is counted and in [0, V) (the rows the loss and the gradient use), else 0; the weights
 * `[N]`, 1 where the label is not `ignoreIndex` (the counted positions), else 0.
 *
 * Why this shape: `oneHot` gives an all-zero row for an index outside [0, V) on every backend,
 * so ignored (outside [0, V)) and out-of-range labels need no masking kernels, and "counted but
 * out of range" is `weights − hit`; only an `ignoreIndex` inside [0, V) costs one more product.
 */
function targets(
  labels: tf.Tensor,
  numClasses: number,
  labelSmoothing: number,
  ignoreIndex: number,
): { target: tf.Tensor; hit: tf.Tensor; weights: tf.Tensor1D } {
  const flatLabels = tf.reshape(labels, [-1]); // [N]
  // An int32 scalar for an integer ignoreIndex: a JS number would cast the labels to float32.
  const ignored = tf.scalar(ignoreIndex, Number.isInteger(ignoreIndex) ? 'int32' : 'float32');
  const counted = tf.notEqual(flatLabels, ignored);
  const weights = tf.cast(counted, 'float32') as tf.Tensor1D;
  // float32 oneHot is wrong on wasm, so build it as int32 and cast (docs/tfjs-facts.md).
  let target = tf.cast(tf.oneHot(flatLabels as tf.Tensor1D, numClasses), 'float32'); // [N, V]
  if (ignoreIndex >= 0 && ignoreIndex < numClasses)
    target = tf.mul(target, tf.reshape(weights, [-1, 1])); // [N, V] · [N, 1]
  const hit = tf.sum(target, -1, true); // [N, 1]
  if (labelSmoothing > 0)
    target = tf.add(tf.mul(target, 1 - labelSmoothing), tf.mul(hit, labelSmoothing / numClasses));
  return { target, hit, weights };
}

/**
 * Losses per flattened position `[N]` (0 where ignored) and weights `[N]` (1 counted, 0 ignored).
 * Shared with the distillation loss, which needs the same mask.
 */
export function crossEntropyPerPosition(
  logits: tf.Tensor,
  labels: tf.Tensor,
  labelSmoothing: number,
  ignoreIndex: number,
): { losses: tf.Tensor1D; weights: tf.Tensor1D } {
  const numClasses = logits.shape[logits.rank - 1]!;
  const { target, hit, weights } = targets(labels, numClasses, labelSmoothing, ignoreIndex);
  // tfjs' own log-softmax here: this path runs under autodiff, and its gradient is one op.
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, numClasses])); // [N, V]
  const losses = tf.neg(tf.sum(tf.mul(target, logProbs), -1)); // [N], 0 where not hit
  // √(hit − weight) per row: 0, or NaN where a counted label is out of range.
  const nanIfOutOfRange = tf.sqrt(tf.sub(tf.reshape(hit, [-1]), weights));
  return { losses: tf.add(losses, nanIfOutOfRange) as tf.Tensor1D, weights };
}
