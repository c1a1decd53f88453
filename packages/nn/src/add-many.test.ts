import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  randomFloats,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { ADD_MANY_CHUNK } from './add-many.js';
import { ArgumentError, addMany, ShapeError } from './index.js';

describeWithBackends('addMany', () => {
  for (const n of [1, 2, 7, 8, 9, 36]) {
    it(`sums ${n} tensors like a float64 reference`, async () => {
      const values = Array.from({ length: n }, (_, i) => randomFloats(6, 100 + i, 1));
      const expected = new Float64Array(6);
      for (const v of values) for (let j = 0; j < 6; j++) expected[j]! += v[j]!;
      await assertNoLeaks(async () => {
        const tensors = values.map((v) => tf.tensor(Float32Array.from(v), [2, 3]));
        const sum = addMany(tensors);
        expect(sum.shape).toEqual([2, 3]);
        await expectTensorsClose(sum, expected, { atol: 1e-5, rtol: 1e-5 });
        tf.dispose([...tensors, sum]);
      });
    });
  }

  it('runs no addN kernel of more than 4 inputs', async () => {
    const xs = Array.from({ length: 36 }, () => tf.ones([2]));
    const info = await tf.profile(() => addMany(xs));
    const addNs = info.kernels.filter((k) => k.name === 'AddN');
    expect(addNs.length).toBe(12); // 36 → 9 → 3 → 1: ⌈35 / 3⌉ kernels
    for (const k of addNs) expect(k.inputShapes.length).toBeLessThanOrEqual(4);
    tf.dispose(xs);
    (info.result as tf.Tensor).dispose();
  });

  it('gives every input the gradient of a sum', async () => {
    await assertNoLeaks(async () => {
      const xs = Array.from({ length: 9 }, (_, i) => tf.fill([3], i + 1));
      const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(addMany(ts), [1, 2, 3])))(xs);
      for (const g of grads) await expectTensorsClose(g, [1, 2, 3]);
      tf.dispose([...xs, ...grads]);
    });
  });

  it('adds int32 tensors exactly', async () => {
    const xs = Array.from({ length: 13 }, (_, i) => tf.tensor1d([i, -i, 1000 * i], 'int32'));
    const sum = addMany(xs);
    expect(sum.dtype).toBe('int32');
    expect(Array.from(await sum.data())).toEqual([78, -78, 78000]);
    tf.dispose([...xs, sum]);
  });
});

it('addMany rejects an empty list and mixed shapes; chunks hold at most 4 inputs', () => {
  expect(ADD_MANY_CHUNK).toBe(4);
  expect(() => addMany([])).toThrow(ArgumentError);
  const a = tf.zeros([2]);
  const b = tf.zeros([3]);
  expect(() => addMany([a, b])).toThrow(ShapeError);
  tf.dispose([a, b]);
});
