import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyPerPosition } from './cross-entropy.js';
import { checkPair, klPerPosition } from './kl-divergence.js';
import { checkLabels, checkNumber } from './validate.js';

/** Options of {@link distillationLoss}. */
export interface DistillationOptions {
  /** Softmax temperature T of the soft targets. Default 2. */
  temperature?: number;
  /** Weight α of the soft (teacher) term; 1 − α weighs the hard-label cross-entropy. Default 0.5. */
  alpha?: number;
  /** Label of positions (padding) left out of both terms. Default -100. */
  ignoreIndex?: number;
}

/**
 * Knowledge-distillation loss of Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a
 * Neural Network":
 *
 *   α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, labels)
 *
 * The T² keeps the soft term's gradients on the scale of the hard term's as T changes. Both
 * terms are means over the positions whose label is not `ignoreIndex`.
 *
 * @param studentLogits float32 `[..., V]` (trained).
 * @param teacherLogits float32 `[..., V]` (fixed; compute it outside the gradient scope).
 * @param labels int32 `[...]` hard labels.
 * @returns a scalar the caller owns.
 *
 * @example
 * ```ts
 * const loss = distillationLoss(student, teacher, labels, { temperature: 2, alpha: 0.5 });
 * ```
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  labels: tf.Tensor,
  { temperature = 2, alpha = 0.5, ignoreIndex = -100 }: DistillationOptions = {},
): tf.Scalar {
  checkPair(studentLogits, teacherLogits);
  checkLabels('labels', labels, studentLogits);
  checkNumber('options.temperature', temperature, { min: 0, minExclusive: true });
  checkNumber('options.alpha', alpha, { min: 0, max: 1 });
  return tf.tidy(() => {
    const { losses, weights } = crossEntropyPerPosition(studentLogits, labels, 0, ignoreIndex);
    const kl = tf.mul(klPerPosition(studentLogits, teacherLogits, temperature), weights); // [N]
    const count = tf.maximum(tf.sum(weights), 1);
    const soft = tf.mul(tf.div(tf.sum(kl), count), alpha * temperature * temperature);
    const hard = tf.mul(tf.div(tf.sum(losses), count), 1 - alpha);
    return tf.add(soft, hard) as tf.Scalar;
  });
}
