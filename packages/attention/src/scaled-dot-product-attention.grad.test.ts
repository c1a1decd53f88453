import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectTensorsClose,
  numericGradient,
  refAttention,
  tidyAsync,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { paddingMask } from './masks.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';
import {
  channelKernel,
  inputs,
  padding,
  random,
  type TensorOptions,
  VARIANTS,
} from './testing/fixtures.js';

describeWithBackends('scaledDotProductAttention gradients', () => {
  for (const variant of [...VARIANTS, 'channel' as const]) {
    it(`gradients w.r.t. q, k, v match finite differences of the float64 reference (${JSON.stringify(variant)})`, async () => {
      const dims = { B: 2, H: 2, Hkv: 1, T: 3, S: 5, dk: 3, dv: 2 };
      const { q, k, v, tensors } = inputs(dims, 13);
      const lengths = [5, 2];
      const upstream = random(dims.B * dims.H * dims.T * dims.dv, 17); // weights of the scalar loss
      const loss = (x: Float64Array) => {
        const [qn, kn, vn] = [
          x.subarray(0, q.length),
          x.subarray(q.length, q.length + k.length),
          x.subarray(q.length + k.length),
        ];
        const out = refAttention({
          q: qn,
          k: kn,
          v: vn,
          ...dims,
          causal: true,
          allowed: padding(lengths),
        }).output;
        return out.reduce((s, o, i) => s + o * upstream[i]!, 0);
      };
      const numeric = numericGradient(loss, Float64Array.from([...q, ...k, ...v]), 1e-5);
      await tidyAsync(async () => {
        const mask = paddingMask(lengths, dims.S);
        const w = tf.tensor4d(upstream, [dims.B, dims.H, dims.T, dims.dv]);
        const attend = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          variant === 'channel'
            ? channelKernel(a, b, c, { causal: true, mask }).output
            : scaledDotProductAttention(a, b, c, { causal: true, mask, ...variant });
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a, b, c), w));
        const grads = tf.grads(f)([...tensors()]);
        const flat = grads.flatMap((g) => Array.from(g.dataSync()));
        await expectTensorsClose(flat, numeric, { atol: 2e-4, rtol: 1e-3 });
      });
    });
  }

  for (const [label, base, chunkSize] of [
    [
      'GQA, window, padding, ragged chunks',
      () => ({ causal: true, window: 5, mask: paddingMask([11, 6], 11) }),
      4,
    ],
    [
      'ALiBi per tile',
      () => ({
        causal: true,
        alibiSlopes: [0.5, 0.25, 0.125, 0.0625],
        mask: paddingMask([11, 8], 11),
      }),
      3,
    ],
    [
      'chunks hidden by a causal window are skipped',
      () => ({ causal: true, window: 2, queryOffset: 4 }),
      2,
    ],
  ] as const) {
    it(`memory-efficient, batched and channel gradients equal the per-head kernel's (${label})`, async () => {
      const dims = { B: 2, H: 4, Hkv: 2, T: 7, S: 11, dk: 5, dv: 3 };
      const { tensors } = inputs(dims, 19);
      await tidyAsync(async () => {
        const w = tf.tensor4d(random(2 * 4 * 7 * 3, 23), [2, 4, 7, 3]);
        const grad = (options: TensorOptions) =>
          tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.sum(tf.mul(scaledDotProductAttention(a, b, c, { ...base(), ...options }), w)),
          )([...tensors()]);
        const perHead = grad({ kernel: 'per-head' });
        const channel = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(channelKernel(a, b, c, base()).output, w)),
        )([...tensors()]);
        for (const other of [
          grad({ kernel: 'batched' }),
          grad({ memoryEfficient: { chunkSize } }),
          channel,
        ]) {
          for (const [i, g] of perHead.entries())
            await expectTensorsClose(other[i]!, g, { atol: 1e-5 });
        }
      });
    });
  }

  for (const kernel of ['per-head', 'batched'] as const) {
    it(`dropout is seeded, inverted, the same on both kernels, and its gradient matches finite differences (${kernel})`, async () => {
      const dims = { B: 1, H: 2, Hkv: 2, T: 3, S: 4, dk: 3, dv: 2 };
      const { tensors } = inputs(dims, 29);
      await tidyAsync(async () => {
        const [q, k, v] = tensors();
        const opts = { dropout: 0.5, seed: 42, returnAttentionWeights: true, kernel } as const;
        const a = scaledDotProductAttention(q, k, v, opts);
        const b = scaledDotProductAttention(q, k, v, opts);
        const c = scaledDotProductAttention(q, k, v, { ...opts, seed: 43 });
        await expectTensorsClose(a.output, b.output, { atol: 0, rtol: 0 });
        expect(a.output.arraySync()).not.toEqual(c.output.arraySync());
        const other = kernel === 'batched' ? 'per-head' : 'batched';
        await expectTensorsClose(
          scaledDotProductAttention(q, k, v, { ...opts, kernel: other }).output,
          a.output,
          { atol: 1e-6 },
        );
        await expectTensorsClose(channelKernel(q, k, v, opts).output, a.output, { atol: 1e-6 });
        await expectTensorsClose(
          a.weights,
          scaledDotProductAttention(q, k, v, { returnAttentionWeights: true }).weights,
        );
        // Finite differences of the seeded (so deterministic) function, in float32 with a larger step.
        const f = (x: tf.Tensor) =>
          tf.sum(tf.square(scaledDotProductAttention(x, k, v, { dropout: 0.5, seed: 42, kernel })));
        const analytic = tf.grad(f)(q).dataSync();
        const q0 = q.dataSync();
        const numeric = numericGradient(
          (x) =>
            f(
              tf.tensor4d(Float32Array.from(x), q.shape as [number, number, number, number]),
            ).dataSync()[0]!,
          Float64Array.from(q0),
          1e-2,
        );
        await expectTensorsClose(analytic, numeric, { atol: 2e-3, rtol: 1e-2 });
      });
    });
  }

  it('memory-efficient dropout: seeded per tile, gradients w.r.t. q, k, v match finite differences', async () => {
    const dims = { B: 1, H: 2, Hkv: 1, T: 3, S: 5, dk: 3, dv: 2 };
    const { tensors } = inputs(dims, 41);
    await tidyAsync(async () => {
      const [q, k, v] = tensors();
      const opts = { dropout: 0.4, seed: 7, causal: true, memoryEfficient: { chunkSize: 2 } };
      const a = scaledDotProductAttention(q, k, v, opts);
      await expectTensorsClose(scaledDotProductAttention(q, k, v, opts), a, { atol: 0, rtol: 0 });
      expect(a.arraySync()).not.toEqual(
        scaledDotProductAttention(q, k, v, { ...opts, seed: 8 }).arraySync(),
      );
      expect(a.arraySync()).not.toEqual(
        scaledDotProductAttention(q, k, v, { ...opts, dropout: 0 }).arraySync(),
      );
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.square(scaledDotProductAttention(x, y, z, opts)));
      const analytic = tf
        .grads(f)([q, k, v])
        .flatMap((g) => Array.from(g.dataSync()));
      const sizes = [q.size, k.size, v.size];
      const flat = Float64Array.from([...q.dataSync(), ...k.dataSync(), ...v.dataSync()]);
      const numeric = numericGradient(
        (x) =>
          tf.tidy(() => {
            const [qa, ka] = [x.subarray(0, sizes[0]), x.subarray(sizes[0], sizes[0]! + sizes[1]!)];
            const va = x.subarray(sizes[0]! + sizes[1]!);
            const t = (arr: Float64Array, like: tf.Tensor) =>
              tf.tensor(Float32Array.from(arr), like.shape);
            return f(t(qa, q), t(ka, k), t(va, v)).dataSync()[0]!;
          }),
        flat,
        1e-2,
      );
      await expectTensorsClose(analytic, numeric, { atol: 3e-3, rtol: 1e-2 });
    });
  });
});
