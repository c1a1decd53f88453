import * as tf from '@tensorflow/tfjs-core';

/**
 * softmax(q·kᵀ/√hs + mask)·v over all batches and heads at once with rank-4 products, for
 * `q [B, H, T, hs]`, `k, v [B, Hkv, S, hs]` (H a multiple of Hkv). Queries sit at positions
 * `S − T …` (cached decoding), as `@tformer/attention` places them.
 *
 * Why it exists: `scaledDotProductAttention` runs one rank-2 product per (batch, head), which is
 * what wasm's XNNPACK needs for long sequences, but costs a few ops per head; for short sequences
 * (a copy task: B·H = 128 heads of 10×10) that overhead dominates — measured on wasm here,
 * forward+backward of [32, 4, 10, 8]: 135 ms per head vs 2 ms batched; [12, 4, 64, 32]: 178 vs
 * 140 ms. Masked keys get a −1e9 score, so a query that sees no key averages all values instead
 * of returning zeros; such queries are padding whose outputs nothing reads.
 */
export function batchedAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  { causal = false, mask }: { causal?: boolean; mask?: tf.Tensor } = {},
): tf.Tensor4D {
  const [B, H, T, hs] = q.shape;
  const [, Hkv, S] = k.shape;
  return tf.tidy(() => {
    let keys: tf.Tensor = k;
    let values: tf.Tensor = v;
    if (Hkv !== H) {
      // Grouped-query attention: query head h reads key/value head ⌊h / (H / Hkv)⌋.
      const repeat = (t: tf.Tensor) =>
        tf.reshape(tf.tile(tf.reshape(t, [B, Hkv, 1, S, hs]), [1, 1, H / Hkv, 1, 1]), [
          B,
          H,
          S,
          hs,
        ]); // [B, H, S, hs]
      keys = repeat(keys);
      values = repeat(values);
    }
    let scores = tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(hs)); // [B, H, T, S]
    if (causal) {
      const allowed = new Float32Array(T * S);
      for (let i = 0; i < T; i++)
        for (let j = 0; j < S; j++) allowed[i * S + j] = j <= i + S - T ? 0 : -1e9;
      scores = tf.add(scores, tf.tensor4d(allowed, [1, 1, T, S])); // [1, 1, T, S] broadcast
    }
    if (mask) {
      const keep = mask.rank === 2 ? tf.reshape(mask, [mask.shape[0]!, 1, 1, S]) : mask; // [B, 1, 1, S]
      const additive =
        keep.dtype === 'float32'
          ? keep
          : tf.mul(tf.sub(1, tf.cast(tf.notEqual(keep, 0), 'float32')), -1e9);
      scores = tf.add(scores, additive);
    }
    return tf.matMul(tf.softmax(scores), values) as tf.Tensor4D; // [B, H, T, hs]
  });
}
