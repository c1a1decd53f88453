import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import { shapeString } from './validate.js';

/**
 * Binary cross-entropy from logits, for binary and multi-label classification, mean over all
 * elements. Uses the stable form max(x, 0) − x·z + log(1 + e^(−|x|)), which never evaluates
 * e^x for large x (PyTorch's `binary_cross_entropy_with_logits`).
 *
 * @param logits float32, any shape.
 * @param targets float32 in [0, 1], same shape as `logits` (soft targets allowed).
 * @returns a scalar the caller owns.
 *
 * @example
 * ```ts
 * const loss = binaryCrossEntropyWithLogits(tf.tensor1d([2, -1]), tf.tensor1d([1, 0]));
 * ```
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join()) {
    throw new InvalidArgumentError(
      'targets',
      `shape ${shapeString(logits.shape)} (as logits)`,
      `shape ${shapeString(targets.shape)}`,
    );
  }
  if (targets.dtype !== 'float32') {
    throw new InvalidArgumentError('targets', 'dtype float32', `dtype ${targets.dtype}`);
  }
  return tf.tidy(() => {
    const positivePart = tf.relu(logits);
    const softplusOfNegAbs = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
    return tf.mean(
      tf.add(tf.sub(positivePart, tf.mul(logits, targets)), softplusOfNegAbs),
    ) as tf.Scalar;
  });
}
