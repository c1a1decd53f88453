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
  // is (softmax − target)·weightᵢ/denominator per row, from the saved log-probabilities.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const flatLogits = tf.reshape(x, [-1, numClasses]); // [N, V]
    const { target, weights, outOfRange } = targets(
      labels,
      numClasses,
      labelSmoothing,
      ignoreIndex,
    );
    const logProbs = tf.logSoftmax(flatLogits); // [N, V]
    const rowLosses = tf.neg(tf.sum(tf.mul(target, logProbs), -1)); // [N]
    const losses = tf.where(
      outOfRange,
      tf.fill([rowLosses.size], Number.NaN),
      tf.mul(rowLosses, weights),
    );
    const total = tf.sum(losses);
    // The gradient's row factor: 0 for ignored and out-of-range rows (as `where` gave them).
    let rowScale = tf.where(outOfRange, tf.zerosLike(weights), weights); // [N]
    let value: tf.Tensor = total;
    if (reduction === 'mean') {
      const denominator = tf.maximum(tf.sum(weights), 1);
      value = tf.div(total, denominator);
      rowScale = tf.div(rowScale, denominator);
    }
    save([logProbs, target, tf.reshape(rowScale, [-1, 1])]); // rowScale [N, 1]
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lp, t, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const rowFactor = tf.mul(scale, dy); // [N, 1]
        return tf.reshape(tf.mul(tf.sub(tf.exp(lp), t), rowFactor), logits.shape);
      },
    };
  });
  return op(logits) as tf.Scalar;
}

/**
 * The constants of a cross-entropy: the smoothed one-hot target `[N, V]`, the 0/1 weights `[N]`
 * (label ≠ `ignoreIndex`) and the counted labels outside [0, V) `[N]` (bool).
 */
function targets(
  labels: tf.Tensor,
  numClasses: number,
  labelSmoothing: number,
  ignoreIndex: number,
): { target: tf.Tensor; weights: tf.Tensor1D; outOfRange: tf.Tensor } {
  const flatLabels = tf.reshape(labels, [-1]); // [N]
  const counted = tf.notEqual(flatLabels, ignoreIndex);
  const weights = tf.cast(counted, 'float32') as tf.Tensor1D;
  // float32 oneHot is wrong on wasm, so build it as int32 and cast (docs/tfjs-facts.md).
  const safeLabels = tf.where(counted, flatLabels, tf.zerosLike(flatLabels));
  let target = tf.cast(tf.oneHot(safeLabels as tf.Tensor1D, numClasses), 'float32'); // [N, V]
  if (labelSmoothing > 0)
    target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / numClasses);
  const outOfRange = tf.logicalAnd(
    counted,
    tf.logicalOr(tf.less(flatLabels, 0), tf.greaterEqual(flatLabels, numClasses)),
  );
  return { target, weights, outOfRange };
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
  const { target, weights, outOfRange } = targets(labels, numClasses, labelSmoothing, ignoreIndex);
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, numClasses])); // [N, V]
  const losses = tf.neg(tf.sum(tf.mul(target, logProbs), -1)); // [N]
  const masked = tf.where(outOfRange, tf.fill(losses.shape, Number.NaN), tf.mul(losses, weights));
  return { losses: masked as tf.Tensor1D, weights };
}
