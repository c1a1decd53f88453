import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tformer/nn';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import type { DataSource } from './trainer-types.js';

/** A model whose "loss" on a batch is the mean of its values times a weight it holds. */
class Scale extends Module {
  constructor(readonly factor: number) {
    super();
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.factor);
  }
}

type Batch = { x: tf.Tensor1D; labels: number[] };

/** Batches of different sizes: [1, 2, 3], [10], [4, 5] (wrapping around). */
const rows = [[1, 2, 3], [10], [4, 5]];
function batches(): DataSource<Batch> {
  let i = 0;
  return {
    next: () => {
      const values = rows[i++ % rows.length]!;
      return { x: tf.tensor1d(values), labels: values.map((v) => v % 2) };
    },
    state: () => i,
    restore: (s) => {
      i = s as number;
    },
  };
}

const modes: boolean[] = [];
const loss = (m: Scale, b: Batch) => {
  modes.push(m.training);
  return tf.mean(m.apply(b.x)) as tf.Scalar;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describeWithBackends('evaluate', () => {
  it('averages the batch losses (weighted when asked) in eval mode, leaking no tensor', async () => {
    const model = new Scale(0.5);
    model.train(true);
    const before = tf.memory().numTensors;
    const plain = await evaluate({ model, loss, data: batches(), batches: 3 });
    // float64 reference: the mean of the three batch means, ×0.5.
    expect(plain.loss).toBeCloseTo(0.5 * mean(rows.map(mean)), 5);
    expect(plain.accuracy).toBeUndefined();
    const weighted = await evaluate({
      model,
      loss,
      data: batches(),
      batches: 3,
      weight: (b) => b.x.size,
      // "Correct": the odd values.
      countCorrect: async (_m, b) => ({
        correct: b.labels.filter((l) => l === 1).length,
        total: b.labels.length,
      }),
    });
    // Weighted by batch size, it is the mean over every value.
    expect(weighted.loss).toBeCloseTo(0.5 * mean(rows.flat()), 5);
    expect(weighted.accuracy).toBeCloseTo(3 / 6, 10); // 1, 3, 5 of 1, 2, 3, 10, 4, 5
    expect(new Set(modes)).toEqual(new Set([false])); // every loss in eval mode
    expect(model.training).toBe(true); // and the mode restored
    expect(tf.memory().numTensors).toBe(before);
    await assertNoLeaks(() => evaluate({ model, loss, data: batches(), batches: 2 }));
  });
});
