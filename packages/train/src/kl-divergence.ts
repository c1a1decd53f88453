import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import { checkLogits, checkNumber, shapeString } from './validate.js';

/** Options of {@link klDivergence}. */
export interface KlDivergenceOptions {
  /** Softmax temperature T applied to both logits: softer distributions as T grows. Default 1. */
  temperature?: number;
}

/**
 * KL(p_teacher ‖ p_student) = Σ_c p_t[c]·(log p_t[c] − log p_s[c]) per position, averaged over
 * positions (PyTorch's `kl_div(..., reduction='batchmean')` on flattened positions), where
 * p = softmax(logits / T). Both distributions come from log-softmax, so it is stable for any
 * logits.
 *
 * @param studentLogits float32 `[..., V]`; the gradient flows into these.
 * @param teacherLogits float32 `[..., V]`, same shape.
 * @returns a scalar the caller owns.
 *
 * @example
 * ```ts
 * const kl = klDivergence(studentLogits, teacherLogits, { temperature: 2 });
 * ```
 */
export function klDivergence(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  { temperature = 1 }: KlDivergenceOptions = {},
): tf.Scalar {
  checkPair(studentLogits, teacherLogits);
  checkNumber('options.temperature', temperature, { min: 0, minExclusive: true });
  return tf.tidy(
    () => tf.mean(klPerPosition(studentLogits, teacherLogits, temperature)) as tf.Scalar,
  );
}

/** Checks that student and teacher logits agree in shape and are valid logits. */
export function checkPair(studentLogits: tf.Tensor, teacherLogits: tf.Tensor): void {
  checkLogits('studentLogits', studentLogits);
  checkLogits('teacherLogits', teacherLogits);
  if (studentLogits.shape.join() !== teacherLogits.shape.join()) {
    throw new InvalidArgumentError(
      'teacherLogits',
      `shape ${shapeString(studentLogits.shape)} (as studentLogits)`,
      `shape ${shapeString(teacherLogits.shape)}`,
    );
  }
}

/** KL per flattened position, `[N]`. */
export function klPerPosition(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  temperature: number,
): tf.Tensor1D {
  const numClasses = studentLogits.shape[studentLogits.rank - 1]!;
  const logStudent = tf.logSoftmax(
    tf.div(tf.reshape(studentLogits, [-1, numClasses]), temperature),
  ); // [N, V]
  const logTeacher = tf.logSoftmax(
    tf.div(tf.reshape(teacherLogits, [-1, numClasses]), temperature),
  ); // [N, V]
  return tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)), -1) as tf.Tensor1D;
}
