import * as tf from '@tensorflow/tfjs-core';
import { addMany } from '@tformer/nn';
import { checkNumber } from './validate.js';

/**
 * Scales all gradients by one factor so that their global L2 norm ‖(g₁, …, gₖ)‖₂ is at most
 * `maxNorm` (Pascanu et al. 2013; PyTorch's `clip_grad_norm_`, including its 1e-6 guard):
 * gᵢ ← gᵢ · min(1, maxNorm / (‖g‖ + 1e-6)). One factor keeps the update's direction, unlike
 * clipping each tensor on its own.
 *
 * The per-tensor sums of squares are added with `addMany` (at most 4 inputs per kernel): one
 * `tf.addN` over every gradient returns wrong sums on WebGPU past the adapter's storage-buffer
 * limit.
 *
 * @param grads gradients by name (not disposed).
 * @param maxNorm the largest allowed global norm, > 0.
 * @returns the clipped gradients and the norm before clipping; the caller owns all of them.
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipByGlobalNorm(grads, 1.0);
 * ```
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  checkNumber('maxNorm', maxNorm, { min: 0, minExclusive: true });
  return tf.tidy(() => {
    const entries = Object.entries(grads);
    const squares = entries.map(([, g]) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length > 0 ? addMany(squares) : tf.scalar(0)) as tf.Scalar;
    const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of entries) clipped[name] = tf.mul(g, scale);
    return { grads: clipped, norm };
  });
}
