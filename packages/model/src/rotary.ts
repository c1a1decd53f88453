import * as tf from '@tensorflow/tfjs-core';

/**
 * Rotary position embedding (Su et al. 2021, "RoFormer"), in the rotate-half layout of GPT-NeoX
 * and LLaMA: the head is split in two halves (x₁, x₂) and pair i is rotated by angle
 * p · base^(−2i/hs), i.e. `x·cos + rotateHalf(x)·sin` with `rotateHalf(x) = [−x₂, x₁]`.
 *
 * `x` is `[B, H, T, hs]`; `positions` is int32 `[B, T]` (or `[1, T]`), the absolute position of
 * each query/key, so cached decoding and left-padded rows rotate by their real positions.
 */
export function applyRotary(x: tf.Tensor4D, positions: tf.Tensor2D, base = 10000): tf.Tensor4D {
  const hs = x.shape[3];
  const half = hs / 2;
  return tf.tidy(() => {
    const invFreq = new Float32Array(half);
    for (let i = 0; i < half; i++) invFreq[i] = base ** ((-2 * i) / hs);
    const [b, t] = positions.shape;
    const pos = tf.reshape(tf.cast(positions, 'float32'), [b, t, 1]); // [B, T, 1]
    const angles = tf.mul(pos, tf.tensor1d(invFreq)); // [B, T, hs/2]
    const full = tf.concat([angles, angles], -1); // [B, T, hs]
    const cos = tf.reshape(tf.cos(full), [b, 1, t, hs]); // [B, 1, T, hs]
    const sin = tf.reshape(tf.sin(full), [b, 1, t, hs]); // [B, 1, T, hs]
    const [x1, x2] = tf.split(x, 2, 3); // each [B, H, T, hs/2]
    const rotated = tf.concat([tf.neg(x2 as tf.Tensor), x1 as tf.Tensor], 3); // [B, H, T, hs]
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
