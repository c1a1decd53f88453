import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  refMatMul,
  refSoftmax,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { attentionRollout, InterpretError } from './index.js';

/** Row-stochastic random attention [B, H, T, T] from a seeded LCG, as float64. */
function randomAttention(b: number, h: number, t: number, seed: number): Float64Array {
  let s = seed;
  const logits = Float64Array.from(
    { length: b * h * t * t },
    () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 4,
  );
  return refSoftmax(logits, b * h * t, t);
}

/** The rollout in plain float64 loops, independent of tfjs. */
function refRollout(
  maps: Float64Array[],
  b: number,
  h: number,
  t: number,
  r: number,
  fusion: 'mean' | 'max',
) {
  const out: Float64Array[] = [];
  for (let bi = 0; bi < b; bi++) {
    let acc: Float64Array | undefined;
    for (const map of maps) {
      const layer = new Float64Array(t * t);
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          let v = fusion === 'mean' ? 0 : Number.NEGATIVE_INFINITY;
          for (let hi = 0; hi < h; hi++) {
            const a = map[((bi * h + hi) * t + i) * t + j]!;
            v = fusion === 'mean' ? v + a / h : Math.max(v, a);
          }
          layer[i * t + j] = (1 - r) * v + (i === j ? r : 0);
        }
        let sum = 0;
        for (let j = 0; j < t; j++) sum += layer[i * t + j]!;
        for (let j = 0; j < t; j++) layer[i * t + j]! /= sum;
      }
      acc = acc ? refMatMul(layer, acc, t, t, t) : layer;
    }
    out.push(acc!);
  }
  return out.flatMap((m) => Array.from(m));
}

describeWithBackends('attentionRollout', () => {
  const [b, h, t] = [2, 3, 5];
  const maps = [1, 2, 3].map((seed) => randomAttention(b, h, t, seed));

  it.each(['mean', 'max'] as const)(
    'matches the float64 reference with %s head fusion',
    async (headFusion) => {
      await assertNoLeaks(async () => {
        const tensors = maps.map((m) => tf.tensor4d(Float32Array.from(m), [b, h, t, t]));
        const rollout = attentionRollout(tensors, { headFusion, residualWeight: 0.5 });
        expect(rollout.shape).toEqual([b, t, t]);
        await expectTensorsClose(rollout, refRollout(maps, b, h, t, 0.5, headFusion), {
          atol: 1e-5,
        });
        tf.dispose([...tensors, rollout]);
      });
    },
  );

  it('with full residual weight is the identity: no attention flows', async () => {
    const tensors = maps.map((m) => tf.tensor4d(Float32Array.from(m), [b, h, t, t]));
    const rollout = attentionRollout(tensors, { residualWeight: 1 });
    await expectTensorsClose(rollout, tf.tile(tf.expandDims(tf.eye(t), 0), [b, 1, 1]));
    tf.dispose([...tensors, rollout]);
  });

  it('rejects maps of mismatched shapes, naming the layer and both shapes', () => {
    const good = tf.zeros([1, 2, 4, 4]);
    const bad = tf.zeros([1, 2, 4, 3]);
    expect(() => attentionRollout([good, bad])).toThrow(InterpretError);
    expect(() => attentionRollout([good, bad])).toThrow(
      'attentionMaps[1]: expected [B, H, T, T] = [1, 2, 4, 4], got [1, 2, 4, 3]',
    );
    expect(() => attentionRollout([])).toThrow(/at least one layer/);
    expect(() => attentionRollout([good], { residualWeight: 2 })).toThrow(/residualWeight/);
    tf.dispose([good, bad]);
  });
});
