import * as tf from '@tensorflow/tfjs-core';
import { describeBackend } from '@tformer/backend';
import { expect, it } from 'vitest';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  extractJsBlocks,
  maxAbsDiff,
  numericGradient,
  randomFloats,
  refLayerNorm,
  refMatMul,
  refSoftmax,
  tidyAsync,
} from './index.js';

/** The LCG inputs these tests were written with, as float32. */
const random = (n: number, seed: number) => Float32Array.from(randomFloats(n, seed));

describeWithBackends('test-utils kernels vs float64 references', (backend) => {
  it('matMul matches refMatMul', async () => {
    const [m, k, n] = [5, 7, 3];
    const a = random(m * k, 1);
    const b = random(k * n, 2);
    const product = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]));
    await expectTensorsClose(product, refMatMul(a, b, m, k, n));
    // Our name, not tfjs's: the node backend calls itself 'tensorflow'.
    expect(describeBackend().backend).toBe(backend);
  });

  it('softmax matches refSoftmax, whose rows sum to one', async () => {
    const x = random(4 * 6, 3);
    const ref = refSoftmax(x, 4, 6);
    expect(ref.slice(0, 6).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    await expectTensorsClose(tf.softmax(tf.tensor2d(x, [4, 6])), ref);
  });

  it('moments-based layer norm matches refLayerNorm', async () => {
    const x = random(3 * 8, 4);
    const t = tf.tensor2d(x, [3, 8]);
    const { mean, variance } = tf.moments(t, -1, true);
    const normed = tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-6)));
    await expectTensorsClose(normed, refLayerNorm(x, 3, 8, 1e-6), { atol: 1e-4 });
  });

  it('expectTensorsClose reads tensors asynchronously and checks their shapes', async () => {
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await expectTensorsClose(t, [
      [1, 2],
      [3, 4],
    ]);
    await expect(expectTensorsClose(t, tf.tensor1d([1, 2, 3, 4]))).rejects.toThrow(
      /shape mismatch/,
    );
    await expect(expectTensorsClose(t, [1, 2, 3, 5])).rejects.toThrow(/flat index 3/);
    t.dispose();
  });

  it('tidyAsync disposes what its scope made across awaits and keeps what it returns', async () => {
    const before = tf.memory().numTensors;
    const kept = await tidyAsync(async () => {
      const a = tf.ones([3]);
      await expectTensorsClose(tf.add(a, 1), [2, 2, 2]);
      return tf.mul(a, 3);
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    await expectTensorsClose(kept, [3, 3, 3]);
    kept.dispose();
    await expect(
      tidyAsync(async () => {
        tf.ones([2]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maxAbsDiff reads max |a − b| asynchronously and leaves no tensor', async () => {
    const [a, b] = [tf.tensor1d([1, -2, 3]), tf.tensor1d([1.5, -2, 1])];
    expect(await assertNoLeaks(() => maxAbsDiff(a, b))).toBe(2);
    tf.dispose([a, b]);
  });

  it('assertNoLeaks passes clean code and catches a leaked tensor', async () => {
    await assertNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync()));
    let leaked: tf.Tensor | undefined;
    await expect(assertNoLeaks(() => void (leaked = tf.ones([2])))).rejects.toThrow(/1 leaked/);
    leaked?.dispose();
  });
});

it('expectTensorsClose reports the first offending index', async () => {
  await expect(expectTensorsClose([1, 2, 3], [1, 2.5, 3])).rejects.toThrow(/flat index 1/);
  await expect(expectTensorsClose([1, Number.NaN], [1, 2])).rejects.toThrow(/flat index 1/);
  await expect(expectTensorsClose([1, 2], [1, 2 + 1e-7])).resolves.toBeUndefined();
});

it('numericGradient recovers the analytic gradient of a cubic', () => {
  const x = new Float64Array([0.5, -1.25, 2]);
  const grad = numericGradient((v) => v.reduce((s, xi) => s + xi ** 3, 0), x);
  for (const [i, g] of grad.entries()) expect(g).toBeCloseTo(3 * x[i]! ** 2, 6);
});

it('extractJsBlocks finds only js fences, in order', () => {
  const md =
    '# x\n```js\nconst a = 1;\n```\n```ts\nlet t: number;\n```\n```bash\nls\n```\n```js\nconst b = 2;\n```\n';
  expect(extractJsBlocks(md)).toEqual(['const a = 1;\n', 'const b = 2;\n']);
});
