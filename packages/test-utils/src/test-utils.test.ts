import * as tf from '@tensorflow/tfjs-core';
import { describeBackend } from '@tformer/backend';
import { expect, it } from 'vitest';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  extractTsBlocks,
  numericGradient,
  refLayerNorm,
  refMatMul,
  refSoftmax,
} from './index.js';

function random(n: number, seed: number): Float32Array {
  // A small LCG keeps the inputs reproducible without tfjs.
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

describeWithBackends('test-utils kernels vs float64 references', (backend) => {
  it('matMul matches refMatMul', () => {
    const [m, k, n] = [5, 7, 3];
    const a = random(m * k, 1);
    const b = random(k * n, 2);
    const product = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]));
    expectTensorsClose(product, refMatMul(a, b, m, k, n));
    // Our name, not tfjs's: the node backend calls itself 'tensorflow'.
    expect(describeBackend().backend).toBe(backend);
  });

  it('softmax matches refSoftmax, whose rows sum to one', () => {
    const x = random(4 * 6, 3);
    const ref = refSoftmax(x, 4, 6);
    expect(ref.slice(0, 6).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expectTensorsClose(tf.softmax(tf.tensor2d(x, [4, 6])), ref);
  });

  it('moments-based layer norm matches refLayerNorm', () => {
    const x = random(3 * 8, 4);
    const t = tf.tensor2d(x, [3, 8]);
    const { mean, variance } = tf.moments(t, -1, true);
    const normed = tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-6)));
    expectTensorsClose(normed, refLayerNorm(x, 3, 8, 1e-6), { atol: 1e-4 });
  });

  it('assertNoLeaks passes clean code and catches a leaked tensor', async () => {
    await assertNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync()));
    let leaked: tf.Tensor | undefined;
    await expect(assertNoLeaks(() => void (leaked = tf.ones([2])))).rejects.toThrow(/1 leaked/);
    leaked?.dispose();
  });
});

it('expectTensorsClose reports the first offending index', () => {
  expect(() => expectTensorsClose([1, 2, 3], [1, 2.5, 3])).toThrow(/flat index 1/);
  expect(() => expectTensorsClose([1, Number.NaN], [1, 2])).toThrow(/flat index 1/);
  expect(() => expectTensorsClose([1, 2], [1, 2 + 1e-7])).not.toThrow();
});

it('numericGradient recovers the analytic gradient of a cubic', () => {
  const x = new Float64Array([0.5, -1.25, 2]);
  const grad = numericGradient((v) => v.reduce((s, xi) => s + xi ** 3, 0), x);
  for (const [i, g] of grad.entries()) expect(g).toBeCloseTo(3 * x[i]! ** 2, 6);
});

it('extractTsBlocks finds only ts fences, in order', () => {
  const md = '# x\n```ts\nconst a = 1;\n```\n```bash\nls\n```\n```ts\nconst b = 2;\n```\n';
  expect(extractTsBlocks(md)).toEqual(['const a = 1;\n', 'const b = 2;\n']);
});
