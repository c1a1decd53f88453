import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  numericGradient,
  refBinaryCrossEntropy,
  refCrossEntropy,
  refDistillationLoss,
  refKlDivergence,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy.js';
import { crossEntropy } from './cross-entropy.js';
import { distillationLoss } from './distillation-loss.js';
import { InvalidArgumentError } from './errors.js';
import { klDivergence } from './kl-divergence.js';

function random(n: number, seed: number, scale = 3): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++)
    out[i] = (((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale;
  return out;
}

const [B, T, V] = [2, 3, 5];
const labels = [1, 4, -100, 0, 2, -100]; // [B, T] with two padding positions

/**
 * `crossEntropy` over `[B, T, V]` logits and `[B, T]` labels, with and without label smoothing:
 * value against the float64 reference, gradient against its finite differences, and exactly zero
 * gradient in the rows of `ignoreIndex`.
 */
async function checkCrossEntropy(logits: Float64Array, ys: number[], ignoreIndex: number) {
  for (const labelSmoothing of [0, 0.1]) {
    const opts = { labelSmoothing, ignoreIndex };
    const x = tf.tensor3d(Float32Array.from(logits), [B, T, V]);
    const y = tf.tensor2d(ys, [B, T], 'int32');
    await assertNoLeaks(async () => {
      const loss = crossEntropy(x, y, opts);
      expect(loss.dataSync()[0]).toBeCloseTo(refCrossEntropy(logits, ys, B * T, V, opts), 5);
      const grad = tf.grad((l: tf.Tensor) => crossEntropy(l, y, opts))(x);
      const expected = numericGradient(
        (l) => refCrossEntropy(l, ys, B * T, V, opts),
        logits.slice(),
      );
      await expectTensorsClose(grad, expected, { atol: 1e-5 });
      // Padding rows get exactly zero gradient.
      const g = grad.dataSync();
      ys.forEach((label, row) => {
        if (label === ignoreIndex)
          expect(Array.from(g.slice(row * V, (row + 1) * V)).every((v) => v === 0)).toBe(true);
      });
      tf.dispose([loss, grad]);
    });
    tf.dispose([x, y]);
  }
}

describeWithBackends('losses vs float64 references', () => {
  it('cross-entropy with smoothing and ignore index matches the reference and its gradient', async () => {
    await checkCrossEntropy(random(B * T * V, 1), labels, -100);
  });

  it('cross-entropy is stable for huge logits and sums with reduction "sum"', () => {
    const x = tf.tensor2d([
      [1000, 0, -1000],
      [-500, 500, 0],
    ]);
    const y = tf.tensor1d([0, 2], 'int32');
    const mean = crossEntropy(x, y).dataSync()[0]!;
    // Row 0: log-softmax of the label is 0; row 1: 0 − 500 − log(1 + e^−500 + e^−1000) = −500.
    expect(mean).toBeCloseTo(250, 3);
    expect(crossEntropy(x, y, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(500, 3);
  });

  it('cross-entropy is 0 with every label ignored and NaN for an out-of-range label', () => {
    const x = tf.tensor2d(Float32Array.from(random(2 * V, 2)), [2, V]);
    expect(crossEntropy(x, tf.tensor1d([-100, -100], 'int32')).dataSync()[0]).toBe(0);
    expect(crossEntropy(x, tf.tensor1d([1, V], 'int32')).dataSync()[0]).toBeNaN();
    // No positions at all (an empty last batch): 0 on every backend, with a zero gradient.
    const none = tf.zeros([0, V]);
    const noLabels = tf.zeros([0], 'int32');
    for (const reduction of ['mean', 'sum'] as const)
      expect(crossEntropy(none, noLabels, { reduction }).dataSync()[0]).toBe(0);
    expect(tf.grad((l: tf.Tensor) => crossEntropy(l, noLabels))(none).shape).toEqual([0, V]);
  });

  it('cross-entropy gradients: "sum" is the mean times the counted positions; an out-of-range row gets 0', async () => {
    const x = tf.tensor3d(Float32Array.from(random(B * T * V, 4)), [B, T, V]);
    const y = tf.tensor2d(labels, [B, T], 'int32');
    const bad = tf.tensor1d([1, V], 'int32');
    await assertNoLeaks(async () => {
      const mean = tf.grad((l: tf.Tensor) => crossEntropy(l, y))(x);
      const sum = tf.grad((l: tf.Tensor) => crossEntropy(l, y, { reduction: 'sum' }))(x);
      await expectTensorsClose(
        sum,
        Float64Array.from(await mean.data(), (g) => g * 4),
        {
          atol: 1e-6,
        },
      );
      const [g, first] = tf.tidy(() => {
        const rows = tf.reshape(tf.slice(x, [0, 0, 0], [1, 2, V]), [2, V]);
        return [
          tf.grad((l: tf.Tensor) => crossEntropy(l, bad))(rows),
          tf.grad((l: tf.Tensor) => crossEntropy(l, tf.slice(bad, 0, 1)))(tf.slice(rows, 0, 1)),
        ];
      });
      const [values, alone] = [await g!.data(), await first!.data()];
      expect(Array.from(values.slice(V)).every((v) => v === 0)).toBe(true);
      // The out-of-range label still counts in the mean's denominator (2 rows, not 1).
      for (let i = 0; i < V; i++) expect(values[i]).toBeCloseTo(alone[i]! / 2, 6);
      tf.dispose([mean, sum, g!, first!]);
    });
    tf.dispose([x, y, bad]);
  });

  it('cross-entropy with an ignoreIndex inside [0, V) and a negative label that is not ignored', async () => {
    await checkCrossEntropy(random(B * T * V, 5), [1, 0, 3, 0, 2, 4], 0); // two padding positions
    const x = tf.tensor2d(Float32Array.from(random(2 * V, 6)), [2, V]);
    const negative = tf.tensor1d([1, -3], 'int32');
    expect(crossEntropy(x, negative).dataSync()[0]).toBeNaN();
    expect(crossEntropy(x, negative, { reduction: 'sum' }).dataSync()[0]).toBeNaN();
    tf.dispose([x, negative]);
  });

  it('rejects wrong label shapes and dtypes with typed errors naming the argument', () => {
    const x = tf.zeros([2, 3, V]);
    expect(() => crossEntropy(x, tf.zeros([2, 4], 'int32'))).toThrow(InvalidArgumentError);
    expect(() => crossEntropy(x, tf.zeros([2, 4], 'int32'))).toThrow(
      /labels: expected shape \[2,3\].*got shape \[2,4\]/,
    );
    expect(() => crossEntropy(x, tf.zeros([2, 3]))).toThrow(/labels: expected dtype int32/);
    expect(() => crossEntropy(x, tf.zeros([2, 3], 'int32'), { labelSmoothing: 2 })).toThrow(
      /options.labelSmoothing/,
    );
  });

  it('KL divergence with temperature matches the reference and its gradient', async () => {
    const s = random(4 * V, 3);
    const t = random(4 * V, 4);
    const teacher = tf.tensor2d(Float32Array.from(t), [4, V]);
    const student = tf.tensor2d(Float32Array.from(s), [4, V]);
    await assertNoLeaks(async () => {
      const kl = klDivergence(student, teacher, { temperature: 2 });
      expect(kl.dataSync()[0]).toBeCloseTo(refKlDivergence(s, t, 4, V, 2), 5);
      const grad = tf.grad((x: tf.Tensor) => klDivergence(x, teacher, { temperature: 2 }))(student);
      await expectTensorsClose(
        grad,
        numericGradient((x) => refKlDivergence(x, t, 4, V, 2), s.slice()),
        { atol: 1e-5 },
      );
      const self = klDivergence(teacher, teacher);
      expect(self.dataSync()[0]).toBeCloseTo(0, 6);
      tf.dispose([kl, grad, self]);
    });
  });

  it('distillation loss is α·T²·KL + (1 − α)·CE over non-padding positions, with its gradient', async () => {
    const s = random(B * T * V, 5);
    const t = random(B * T * V, 6);
    const opts = { temperature: 3, alpha: 0.7, ignoreIndex: -100 };
    const student = tf.tensor3d(Float32Array.from(s), [B, T, V]);
    const teacher = tf.tensor3d(Float32Array.from(t), [B, T, V]);
    const y = tf.tensor2d(labels, [B, T], 'int32');
    await assertNoLeaks(async () => {
      const loss = distillationLoss(student, teacher, y, opts);
      expect(loss.dataSync()[0]).toBeCloseTo(refDistillationLoss(s, t, labels, B * T, V, opts), 4);
      const grad = tf.grad((x: tf.Tensor) => distillationLoss(x, teacher, y, opts))(student);
      const expected = numericGradient(
        (x) => refDistillationLoss(x, t, labels, B * T, V, opts),
        s.slice(),
      );
      await expectTensorsClose(grad, expected, { atol: 2e-5 });
      tf.dispose([loss, grad]);
    });
    expect(() => distillationLoss(student, tf.zeros([B, T, V + 1]), y)).toThrow(
      /teacherLogits: expected shape \[2,3,5\]/,
    );
    expect(() => distillationLoss(student, teacher, y, { alpha: 1.5 })).toThrow(/options.alpha/);
  });

  it('binary cross-entropy with logits matches the reference, stays finite at ±100, and has the right gradient', async () => {
    const x = random(6, 7);
    const z = [1, 0, 1, 0.3, 0, 1];
    const logits = tf.tensor1d(Float32Array.from(x));
    const targets = tf.tensor1d(z);
    await assertNoLeaks(async () => {
      const loss = binaryCrossEntropyWithLogits(logits, targets);
      expect(loss.dataSync()[0]).toBeCloseTo(refBinaryCrossEntropy(x, z), 5);
      loss.dispose();
      const grad = tf.grad((l: tf.Tensor) => binaryCrossEntropyWithLogits(l, targets))(logits);
      await expectTensorsClose(
        grad,
        numericGradient((l) => refBinaryCrossEntropy(l, z), x.slice()),
        { atol: 1e-5 },
      );
      // log(1 + e^-100) underflows to 0 in float32 and the loss is exactly |x| on the wrong side.
      const extreme = tf.tidy(() =>
        binaryCrossEntropyWithLogits(tf.tensor1d([100, -100]), tf.tensor1d([0, 0])),
      );
      expect(extreme.dataSync()[0]).toBeCloseTo(50, 4);
      tf.dispose([grad, extreme]);
    });
    expect(() => binaryCrossEntropyWithLogits(logits, tf.zeros([5]))).toThrow(
      /targets: expected shape \[6\]/,
    );
  });
});
