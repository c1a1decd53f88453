import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectTensorsClose, tidyAsync } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { channelProduct, useChannelProducts } from './channel-product.js';
import { random } from './testing/fixtures.js';

/** A'[n] · B'[n] in float64, A' = A or Aᵀ per batch entry: `[N, I, J]` flat. */
function refBatchMatMul(
  a: Float32Array,
  b: Float32Array,
  [N, I, K, J]: number[],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const out = new Float64Array(N! * I! * J!);
  for (let n = 0; n < N!; n++)
    for (let i = 0; i < I!; i++)
      for (let j = 0; j < J!; j++) {
        let s = 0;
        for (let k = 0; k < K!; k++) {
          const x = a[n * I! * K! + (transposeA ? k * I! + i : i * K! + k)]!;
          const y = b[n * K! * J! + (transposeB ? j * K! + k : k * J! + j)]!;
          s += x * y;
        }
        out[(n * I! + i) * J! + j] = s;
      }
  return out;
}

describeWithBackends('channelProduct', () => {
  // [N, I, K, J]: batch 1, a contraction of 1, a multiplier of 1, uneven sizes, attention-like.
  const shapes = [
    [1, 3, 4, 5],
    [4, 2, 1, 3],
    [3, 5, 6, 1],
    [6, 7, 3, 4],
    [12, 16, 8, 16],
  ];
  for (const [N, I, K, J] of shapes) {
    for (const window of ['inner', 'outer'] as const) {
      it(`out[p, n, m] = Σ_k x·f for N ${N}, P ${I}, K ${K}, M ${J}, window ${window}`, async () => {
        const x = random(N! * I! * K!, N! + I!);
        const f = random(K! * N! * J!, K! + J! + 7);
        // As a batched product: x[p, k, n] = A[n, p, k] (inner) or A[n, k, p] (outer), f[k, n, m] = B[n, k, m].
        const A = new Float32Array(N! * I! * K!);
        const Bm = new Float32Array(N! * K! * J!);
        for (let n = 0; n < N!; n++)
          for (let p = 0; p < I!; p++)
            for (let k = 0; k < K!; k++) {
              const xi = window === 'inner' ? (p * K! + k) * N! + n : (k * I! + p) * N! + n;
              A[n * I! * K! + (window === 'inner' ? p * K! + k : k * I! + p)] = x[xi]!;
            }
        for (let n = 0; n < N!; n++)
          for (let k = 0; k < K!; k++)
            for (let m = 0; m < J!; m++) Bm[(n * K! + k) * J! + m] = f[(k * N! + n) * J! + m]!;
        const want = refBatchMatMul(A, Bm, [N!, I!, K!, J!], window === 'outer', false);
        await tidyAsync(async () => {
          const xt = tf.tensor3d(x, window === 'inner' ? [I!, K!, N!] : [K!, I!, N!]);
          const out = channelProduct(xt, tf.tensor3d(f, [K!, N!, J!]), window); // [P, N, M]
          expect(out.shape).toEqual([I, N, J]);
          await expectTensorsClose(tf.transpose(out, [1, 0, 2]), want, { atol: 1e-5, rtol: 1e-5 });
        });
      });
    }
  }

  for (const [transposeA, transposeB] of [
    [false, true],
    [true, false],
  ]) {
    it(`with transposes folded into the layouts: A${transposeA ? 'ᵀ' : ''}·B${transposeB ? 'ᵀ' : ''}`, async () => {
      const [N, I, K, J] = [5, 6, 4, 3];
      const a = random(N * I * K, 3);
      const b = random(N * K * J, 4);
      const want = refBatchMatMul(a, b, [N, I, K, J], transposeA, transposeB);
      await tidyAsync(async () => {
        const at = tf.tensor3d(a, transposeA ? [N, K, I] : [N, I, K]);
        const bt = tf.tensor3d(b, transposeB ? [N, J, K] : [N, K, J]);
        const x = tf.transpose(at, transposeA ? [1, 2, 0] : [2, 1, 0]); // [K, I, N] for window 'outer'
        const f = tf.transpose(bt, transposeB ? [2, 0, 1] : [1, 0, 2]); // [K, N, J]
        const out = tf.transpose(channelProduct(x, f, 'outer'), [1, 0, 2]); // [N, I, J]
        await expectTensorsClose(out, want, { atol: 1e-5, rtol: 1e-5 });
      });
    });
  }

  it('leaves no tensors behind', () => {
    const [x, f] = [tf.ones([3, 4, 2]), tf.ones([4, 2, 5])];
    const before = tf.memory().numTensors;
    channelProduct(x, f, 'inner').dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, f]);
  });
});

it('channel products: wasm only, from T·S·(dk + dv) = 2¹³', () => {
  expect(useChannelProducts({ T: 16, S: 16, dk: 16, dv: 16 }, 'wasm')).toBe(true);
  expect(useChannelProducts({ T: 16, S: 16, dk: 8, dv: 8 }, 'wasm')).toBe(false);
  for (const backend of ['cpu', 'tensorflow', 'webgpu', 'webgl'])
    expect(useChannelProducts({ T: 256, S: 256, dk: 64, dv: 64 }, backend)).toBe(false);
});
