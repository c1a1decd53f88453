import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { headAblation, InterpretError, logitLens, runWithCache } from './index.js';
import { tinyLM } from './testing/tiny-lm.js';

/** Mean next-token cross-entropy in float64 from logits [B][T][V]. */
function refLoss(logits: number[][][], ids: number[][]): number {
  let sum = 0;
  let n = 0;
  logits.forEach((rows, b) => {
    for (let t = 0; t + 1 < rows.length; t++) {
      const row = rows[t]!;
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      sum += lse - row[ids[b]![t + 1]!]!;
      n++;
    }
  });
  return sum / n;
}

describeWithBackends('logitLens', () => {
  it("reads softmax(unembed(lnF(residual))) per layer; the last layer's is the model's own prediction", async () => {
    const model = tinyLM(7);
    const ids = tf.tensor2d([[1, 7, 2, 5, 3]], [1, 5], 'int32');
    const lens = await assertNoLeaks(() => logitLens(model, ids, { topK: 3 }));
    expect(lens.layers).toEqual(['embed', 'blocks.0', 'blocks.1']);
    expect(lens.top.map((l) => l.length)).toEqual([5, 5, 5]);
    // The last layer: the model's softmax, top 3, best first.
    const probs = tf.tidy(() => tf.softmax(model.apply(ids)));
    const final = (probs.arraySync() as number[][][])[0]!;
    probs.dispose();
    for (const [t, row] of final.entries()) {
      const order = row.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
      expect(lens.top[2]![t]!.map((e) => e.token)).toEqual(order.slice(0, 3).map(([, i]) => i));
      await expectTensorsClose(
        lens.top[2]![t]!.map((e) => e.prob),
        order.slice(0, 3).map(([p]) => p),
        { atol: 1e-6 },
      );
    }
    // The embedding layer by hand: lnF(wte[id] + wpe[t]) through the tied unembedding.
    const embed = tf.tidy(() => {
      const wte = model.wte.embeddings;
      const x = tf.add(
        tf.gather(wte, tf.tensor1d([1, 7, 2, 5, 3], 'int32')),
        tf.slice(model.wpe!.embeddings, 0, 5),
      );
      return tf.softmax(tf.matMul(model.lnF.apply(x), wte, false, true)); // [T, V]
    });
    const byHand = embed.arraySync() as number[][];
    embed.dispose();
    byHand.forEach((row, t) => {
      const best = row.indexOf(Math.max(...row));
      expect(lens.top[0]![t]![0]!.token).toBe(best);
      expect(lens.top[0]![t]![0]!.prob).toBeCloseTo(row[best]!, 5);
    });
    await expect(logitLens(model, ids, { topK: 0 })).rejects.toThrow(InterpretError);
    ids.dispose();
    model.dispose();
  });
});

describeWithBackends('headAblation', () => {
  it('zeroing a head equals zeroing its rows of the output projection (float64 loss)', async () => {
    const ids = [
      [1, 7, 2, 5, 3, 8],
      [4, 4, 8, 1, 2, 6],
    ];
    const x = tf.tensor2d(ids, [2, 6], 'int32');
    const model = tinyLM(9);
    const result = await assertNoLeaks(() => headAblation(model, x));
    const logitsOf = () => {
      const l = model.apply(x);
      const v = l.arraySync() as number[][][];
      l.dispose();
      return v;
    };
    expect(result.baseLoss).toBeCloseTo(refLoss(logitsOf(), ids), 5);
    expect(result.loss.map((r) => r.length)).toEqual([2, 2]);
    const hs = 4; // dModel 8 / 2 heads
    for (let l = 0; l < 2; l++) {
      for (let h = 0; h < 2; h++) {
        const kernel = model.blocks.at(l).attn.output.kernel as tf.Variable; // [nh·hs, C]
        const saved = tf.clone(kernel);
        kernel.assign(
          tf.tidy(() => {
            const rows = tf.tensor1d(
              Array.from({ length: 8 }, (_, r) => (Math.floor(r / hs) === h ? 0 : 1)),
            );
            return tf.mul(saved, tf.reshape(rows, [8, 1]));
          }),
        );
        expect(result.loss[l]![h]).toBeCloseTo(refLoss(logitsOf(), ids), 4);
        kernel.assign(saved);
        saved.dispose();
        expect(result.delta[l]![h]).toBeCloseTo(result.loss[l]![h]! - result.baseLoss, 10);
      }
    }
    // Mean ablation of layer 0's head 1 by hand: its kernel rows zeroed, mean·rows added to the bias.
    const mean = await headAblation(model, x, { mode: 'mean' });
    expect(mean.baseLoss).toBeCloseTo(result.baseLoss, 6);
    const { logits, cache } = runWithCache(model, x, ['blocks.0.attn.headOutput']);
    logits.dispose();
    const out = model.blocks.at(0).attn.output;
    const [kernel, bias] = [out.kernel, out.bias!];
    const [savedK, savedB] = [tf.clone(kernel), tf.clone(bias)];
    tf.tidy(() => {
      const m = tf.reshape(
        tf.slice(tf.mean(cache.get('blocks.0.attn.headOutput'), [0, 2]), [1, 0], [1, hs]),
        [1, hs],
      );
      const rows = tf.slice(savedK, [hs, 0], [hs, 8]); // head 1's rows
      bias.assign(tf.add(savedB, tf.reshape(tf.matMul(m, rows), [8])));
      const keep = tf.tensor1d(
        Array.from({ length: 8 }, (_, r) => (Math.floor(r / hs) === 1 ? 0 : 1)),
      );
      kernel.assign(tf.mul(savedK, tf.reshape(keep, [8, 1])));
    });
    expect(mean.loss[0]![1]).toBeCloseTo(refLoss(logitsOf(), ids), 4);
    kernel.assign(savedK);
    bias.assign(savedB);
    tf.dispose([savedK, savedB]);
    cache.dispose();
    x.dispose();
    model.dispose();
  });
});
