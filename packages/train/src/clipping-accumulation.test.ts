import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { GradientAccumulator } from './gradient-accumulator.js';

describeWithBackends('clipping and accumulation', () => {
  it('clips by the global norm: ‖(3, 4, 12)‖ = 13 scaled to 6.5 keeps the direction', async () => {
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor2d([[12]]) };
    await assertNoLeaks(async () => {
      const { grads: clipped, norm } = clipByGlobalNorm(grads, 6.5);
      expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
      // factor 6.5 / (13 + 1e-6)
      await expectTensorsClose(clipped.a!, [1.5, 2], { atol: 1e-6 });
      await expectTensorsClose(clipped.b!, [[6]], { atol: 1e-6 });
      tf.dispose([norm, clipped]);
    });
    const { grads: untouched, norm } = clipByGlobalNorm(grads, 100);
    await expectTensorsClose(untouched.a!, [3, 4], { atol: 0, rtol: 0 });
    tf.dispose([grads, untouched, norm]);
    expect(() => clipByGlobalNorm({}, 0)).toThrow(/maxNorm: expected a finite number > 0/);
  });

  it('clips 36 gradients (more than any adapter binds in one shader) by their float64 norm', async () => {
    const values = Array.from({ length: 36 }, (_, i) => [
      0.25 * (i + 1),
      -0.5 * (i % 7),
      1 / (i + 2),
    ]);
    let squares = 0;
    for (const v of values) for (const x of v) squares += Math.fround(x) ** 2;
    const expectedNorm = Math.sqrt(squares);
    const grads: tf.NamedTensorMap = {};
    values.forEach((v, i) => {
      grads[`p${i}`] = tf.tensor1d(v);
    });
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect((await norm.data())[0]).toBeCloseTo(expectedNorm, 3);
    const factor = 1 / (expectedNorm + 1e-6);
    await expectTensorsClose(
      clipped.p35!,
      values[35]!.map((x) => x * factor),
      { atol: 1e-6 },
    );
    tf.dispose([grads, clipped, norm]);
  });

  it('accumulates the mean of micro-batch gradients without allocating per step', async () => {
    const accumulator = new GradientAccumulator();
    const micro = [
      { w: tf.tensor1d([1, 2]), b: tf.scalar(3) },
      { w: tf.tensor1d([3, -2]), b: tf.scalar(5) },
    ];
    for (const g of micro) accumulator.add(g);
    const mean = accumulator.mean();
    await expectTensorsClose(mean.w!, [2, 0]);
    await expectTensorsClose(mean.b!, [4]);
    tf.dispose(mean);
    await assertNoLeaks(async () => {
      for (let round = 0; round < 3; round++) {
        accumulator.reset();
        accumulator.add(micro[1]!);
        const again = accumulator.mean();
        await expectTensorsClose(again.w!, [3, -2]);
        tf.dispose(again);
      }
    });
    expect(accumulator.count).toBe(1);
    const partial = { w: tf.tensor1d([1, 2]) };
    expect(() => accumulator.add(partial)).toThrow(
      /grads: expected the names of the first micro-batch/,
    );
    expect(() => new GradientAccumulator().mean()).toThrow(/at least one add/);
    accumulator.dispose();
    tf.dispose([micro, partial]);
  });
});
