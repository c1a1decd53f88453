import * as tf from '@tensorflow/tfjs-core';

/**
 * `t` `[..., d]` summed over its leading axes, `[d]` — a bias's or gain's gradient. On tfjs-node
 * one `Sum` (each reshape is one more TensorFlow op); elsewhere a ones`[1, m]`·`[m, d]` product,
 * a fast rank-2 matmul on wasm, where a sum over axis 0 transposes first.
 */
export function columnSum(t: tf.Tensor, d: number): tf.Tensor {
  if (tf.getBackend() === 'tensorflow' && t.rank > 1) {
    return tf.sum(t, [...t.shape.keys()].slice(0, -1));
  }
  const t2 = (t.rank === 2 ? t : tf.reshape(t, [-1, d])) as tf.Tensor2D; // [m, d]
  return tf.reshape(tf.matMul(tf.ones([1, t2.shape[0]]), t2), [d]);
}
