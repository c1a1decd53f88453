import * as tf from '@tensorflow/tfjs-core';

/**
 * A batched product written as a depthwise convolution, for wasm: tfjs-backend-wasm 4.22 sends
 * only rank-2, untransposed matMuls to XNNPACK and runs every batched one on a scalar loop
 * (~1.2 GFLOP/s), while `depthwiseConv2d` with a channel multiplier is XNNPACK's grouped
 * convolution, one small GEMM per channel (docs/tfjs-facts.md). The batch axis N is the
 * convolution's channel axis, the contracted axis K its window, and the result's other two axes
 * its spatial axis P and its multiplier M:
 *
 *   out[p, n, m] = Σ_k x[p, k, n] · f[k, n, m]   (`window: 'inner'`, x `[P, K, N]`)
 *   out[p, n, m] = Σ_k x[k, p, n] · f[k, n, m]   (`window: 'outer'`, x `[K, P, N]`)
 *
 * with f `[K, N, M]`, returning `[P, N, M]`. Callers lay their operands out so that as few big
 * tensors as possible need a transpose (see batched-attention.ts). Exact on every backend; only
 * wasm is faster this way.
 *
 * @example
 * ```ts
 * // A [N, I, K] · B [N, K, J] → [N, I, J]
 * const x = tf.transpose(a, [1, 2, 0]); // [I, K, N]
 * const f = tf.transpose(b, [1, 0, 2]); // [K, N, J]
 * const out = tf.transpose(channelProduct(x, f, 'inner'), [1, 0, 2]); // [I, N, J] → [N, I, J]
 * ```
 */
export function channelProduct(x: tf.Tensor, f: tf.Tensor, window: 'inner' | 'outer'): tf.Tensor3D {
  const [K, N, M] = f.shape as [number, number, number];
  const P = window === 'inner' ? x.shape[0]! : x.shape[1]!;
  return tf.tidy(() => {
    const x4 = tf.reshape(x, window === 'inner' ? [1, P, K, N] : [1, K, P, N]) as tf.Tensor4D; // NHWC
    const f4 = tf.reshape(f, window === 'inner' ? [1, K, N, M] : [K, 1, N, M]) as tf.Tensor4D; // [fh, fw, C, M]
    const y = tf.depthwiseConv2d(x4, f4, 1, 'valid'); // [1, P, 1, N·M] or [1, 1, P, N·M]
    return tf.reshape(y, [P, N, M]); // [P, N, M]
  });
}

/** T·S·(dk + dv) from which wasm's attention runs {@link channelProduct}s. */
const CHANNEL_MIN_WORK = 2 ** 13;

/**
 * Whether the batched attention kernel lays its products out for {@link channelProduct}: on wasm
 * only, and only once a head's products are big enough that the convolution's fixed cost (it
 * packs its filter on every call) and the operand transposes pay off. Forward + backward on wasm,
 * CPU ms, 2026-12-06: B 16, H 4, T 16, hs 8 (4,096) 4 vs 2 with the scalar loop; T 16, hs 16
 * (8,192) 1 vs 2; B 12, H 4, T 64, hs 32 13 vs 35; B 1, T 256 14 vs 53 (bench/kernels.ts).
 */
export function useChannelProducts(
  dims: { T: number; S: number; dk: number; dv: number },
  backend: string = tf.getBackend(),
): boolean {
  return backend === 'wasm' && dims.T * dims.S * (dims.dk + dims.dv) >= CHANNEL_MIN_WORK;
}
