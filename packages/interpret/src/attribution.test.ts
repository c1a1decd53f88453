import * as tf from '@tensorflow/tfjs-core';
import { EncoderClassifier } from '@tformer/model';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { gradientTimesInput, InterpretError, integratedGradients } from './index.js';
import { tinyLM } from './testing/tiny-lm.js';

/** The target logit with token t's embedding scaled by (1 + s): a run with the embeddings replaced. */
function scaledLogit(
  model: ReturnType<typeof tinyLM>,
  ids: tf.Tensor,
  t: number,
  s: number,
  target: { token: number; position: number },
): number {
  return tf.tidy(() => {
    const logits = model.apply(ids, {
      hooks: {
        'wte.output': (x) => {
          const T = x.shape[1]!;
          const scale = tf.reshape(
            tf.tensor1d(Array.from({ length: T }, (_, i) => (i === t ? 1 + s : 1))),
            [1, T, 1],
          );
          return tf.mul(x, scale);
        },
      },
    });
    const v = logits.arraySync() as number[][][];
    return v[0]![target.position]![target.token]!;
  });
}

describeWithBackends('attributions', () => {
  const target = { token: 4, position: 3 };

  it('gradient × input is each token’s directional derivative along its own embedding (central differences)', async () => {
    const model = tinyLM(5);
    const ids = tf.tensor2d([[1, 7, 2, 5, 3]], [1, 5], 'int32');
    const saliency = await assertNoLeaks(() => {
      const s = gradientTimesInput(model, ids, target);
      const values = s.arraySync() as number[][];
      s.dispose();
      return values[0]!;
    });
    const eps = 1e-2;
    const reference = saliency.map(
      (_, t) =>
        (scaledLogit(model, ids, t, eps, target) - scaledLogit(model, ids, t, -eps, target)) /
        (2 * eps),
    );
    await expectTensorsClose(saliency, reference, { atol: 2e-3, rtol: 2e-2 });
    // Causal: tokens after the target position have no influence.
    expect(saliency[4]).toBe(0);
    ids.dispose();
    model.dispose();
  });

  it('integrated gradients are complete: Σ attributions = f(x) − f(0) within 1e-3 (m = 64), and the gap shrinks with m', async () => {
    const model = tinyLM(5);
    const ids = tf.tensor2d(
      [
        [1, 7, 2, 5, 3],
        [4, 4, 8, 1, 2],
      ],
      [2, 5],
      'int32',
    );
    const ig = await assertNoLeaks(async () => {
      const result = await integratedGradients(model, ids, target, { steps: 64 });
      const attributions = result.attributions.arraySync();
      result.attributions.dispose();
      return { ...result, attributions };
    });
    expect(ig.attributions.map((r) => r.length)).toEqual([5, 5]);
    ig.attributions.forEach((row, b) => {
      const sum = row.reduce((a, v) => a + v, 0);
      const gap = ig.output[b]! - ig.baselineOutput[b]!;
      expect(Math.abs(sum - gap)).toBeLessThan(1e-3 * Math.max(1, Math.abs(gap)));
      expect(ig.delta[b]).toBeCloseTo(sum - gap, 5);
      expect(row[4]).toBe(0); // after the target position
    });
    const coarse = await integratedGradients(model, ids, target, { steps: 2 });
    coarse.attributions.dispose();
    expect(Math.abs(coarse.delta[0]!)).toBeGreaterThan(Math.abs(ig.delta[0]!));
    // f(x) is the model's own logit.
    const logits = model.apply(ids);
    const direct = (logits.arraySync() as number[][][]).map((r) => r[3]![4]!);
    logits.dispose();
    await expectTensorsClose(ig.output, direct, { atol: 1e-4 });
    ids.dispose();
    model.dispose();
  });

  it('works for a classifier (target = class) and checks its arguments', async () => {
    const model = new EncoderClassifier(
      { vocabSize: 9, maxLength: 6, dModel: 8, numHeads: 2, dFF: 8, numClasses: 3, dropout: 0 },
      { rng: 1 },
    );
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const ig = await integratedGradients(model, ids, { token: 2 }, { steps: 64 });
    expect(ig.attributions.shape).toEqual([1, 4]);
    // ReLU kinks (the classifier's hidden layer) slow the trapezoid rule: 5e-3 relative at m = 64.
    const gap = ig.output[0]! - ig.baselineOutput[0]!;
    expect(Math.abs(ig.delta[0]!)).toBeLessThan(5e-3 * Math.max(1, Math.abs(gap)));
    ig.attributions.dispose();
    await expect(integratedGradients(model, ids, { token: 3 })).rejects.toThrow(InterpretError);
    await expect(integratedGradients(model, ids, { token: 1 }, { steps: 0 })).rejects.toThrow(
      /steps/,
    );
    ids.dispose();
    model.dispose();
  });
});
