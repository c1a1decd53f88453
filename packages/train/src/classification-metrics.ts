import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import { checkLabels, checkLogits } from './validate.js';

/**
 * Perplexity exp(mean cross-entropy in nats): the effective number of equally likely tokens the
 * model hesitates between. Takes the mean loss over tokens, not a mean of per-batch
 * perplexities (those would overweight bad batches).
 *
 * @example
 * ```ts
 * perplexity(Math.log(50)); // 50
 * ```
 */
export function perplexity(meanCrossEntropy: number): number {
  if (Number.isNaN(meanCrossEntropy) || meanCrossEntropy < 0) {
    throw new InvalidArgumentError(
      'meanCrossEntropy',
      'a mean loss ≥ 0 in nats',
      String(meanCrossEntropy),
    );
  }
  return Math.exp(meanCrossEntropy);
}

/**
 * Counts the positions whose arg-max logit is the label, leaving out `ignoreIndex` (padding).
 * Returns counts rather than a ratio so that batches of different sizes combine exactly.
 *
 * @param logits float32 `[..., V]`.
 * @param labels int32 `[...]`.
 *
 * @example
 * ```ts
 * const { correct, total } = await countCorrect(logits, labels, { ignoreIndex: 0 });
 * ```
 */
export async function countCorrect(
  logits: tf.Tensor,
  labels: tf.Tensor,
  { ignoreIndex = -100 }: { ignoreIndex?: number } = {},
): Promise<{ correct: number; total: number }> {
  checkLogits('logits', logits);
  checkLabels('labels', labels, logits);
  const counts = tf.tidy(() => {
    const counted = tf.notEqual(labels, ignoreIndex);
    const hit = tf.logicalAnd(counted, tf.equal(tf.argMax(logits, -1), labels));
    return tf.stack([tf.sum(tf.cast(hit, 'int32')), tf.sum(tf.cast(counted, 'int32'))]);
  });
  const [correct, total] = await counts.data();
  counts.dispose();
  return { correct: correct!, total: total! };
}

/**
 * Macro-averaged F1: the unweighted mean over classes of 2·TP / (2·TP + FP + FN), so rare
 * classes count as much as frequent ones. The classes are those that occur in `labels` or
 * `predictions` (scikit-learn's `f1_score(average='macro')`); a class predicted but never true
 * scores 0.
 *
 * @example
 * ```ts
 * macroF1([0, 1, 1], [0, 1, 0]); // (2/3 + 2/3) / 2
 * ```
 */
export function macroF1(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length) {
    throw new InvalidArgumentError(
      'predictions',
      `length ${labels.length} (as labels)`,
      `length ${predictions.length}`,
    );
  }
  if (labels.length === 0) throw new InvalidArgumentError('labels', 'at least one example', 'none');
  const stats = new Map<number, { tp: number; fp: number; fn: number }>();
  const of = (c: number) =>
    stats.get(c) ??
    (stats.set(c, { tp: 0, fp: 0, fn: 0 }).get(c) as { tp: number; fp: number; fn: number });
  for (let i = 0; i < labels.length; i++) {
    const [p, y] = [predictions[i]!, labels[i]!];
    if (p === y) of(y).tp += 1;
    else {
      of(p).fp += 1;
      of(y).fn += 1;
    }
  }
  let sum = 0;
  for (const { tp, fp, fn } of stats.values()) sum += (2 * tp) / (2 * tp + fp + fn);
  return sum / stats.size;
}
