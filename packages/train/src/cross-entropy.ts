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
  return tf.tidy(() => {
    const perPosition = crossEntropyPerPosition(logits, labels, labelSmoothing, ignoreIndex);
    const total = tf.sum(perPosition.losses);
    if (reduction === 'sum') return total as tf.Scalar;
    return tf.div(total, tf.maximum(tf.sum(perPosition.weights), 1)) as tf.Scalar;
  });
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
  const flatLogits = tf.reshape(logits, [-1, numClasses]); // [N, V]
  const flatLabels = tf.reshape(labels, [-1]); // [N]
  const counted = tf.notEqual(flatLabels, ignoreIndex);
  const weights = tf.cast(counted, 'float32') as tf.Tensor1D;
  const logProbs = tf.logSoftmax(flatLogits); // [N, V]
  // One-hot × log-probs instead of gather: gather's gradient (UnsortedSegmentSum) has no wasm
  // kernel, and float32 oneHot is wrong on wasm, so build it as int32 and cast (docs/tfjs-facts.md).
  const safeLabels = tf.where(counted, flatLabels, tf.zerosLike(flatLabels));
  const target = tf.cast(tf.oneHot(safeLabels as tf.Tensor1D, numClasses), 'float32'); // [N, V]
  let losses = tf.neg(tf.sum(tf.mul(target, logProbs), -1)); // [N]
  if (labelSmoothing > 0) {
    const uniform = tf.neg(tf.mean(logProbs, -1)); // [N]
    losses = tf.add(tf.mul(losses, 1 - labelSmoothing), tf.mul(uniform, labelSmoothing));
  }
  const outOfRange = tf.logicalAnd(
    counted,
    tf.logicalOr(tf.less(flatLabels, 0), tf.greaterEqual(flatLabels, numClasses)),
  );
  losses = tf.where(outOfRange, tf.fill(losses.shape, Number.NaN), tf.mul(losses, weights));
  return { losses: losses as tf.Tensor1D, weights };
}
