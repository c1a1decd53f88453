import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, MultiHeadAttention } from './index.js';
import { tinyAttention } from './testing/fixtures.js';

describeWithBackends('MultiHeadAttention hooks', () => {
  it.each([4, 2, 1])(
    'with %i key/value heads: weights given back replace the computed ones exactly; headOutput is [B, H, T, dv]',
    async (numKeyValueHeads) => {
      const mha = new MultiHeadAttention({
        numHeads: 4,
        headSize: 3,
        dModel: 8,
        numKeyValueHeads,
        rng: 1,
      });
      const x = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 7);
      const plain = mha.apply(x, { causal: true, returnAttentionWeights: true });
      await assertNoLeaks(async () => {
        let seen: number[] = [];
        const y = mha.apply(x, {
          causal: true,
          hooks: {
            weights: (w) => tf.add(w, 0), // a new tensor: the output is recomputed from it
            headOutput: (h) => void (seen = h.shape),
          },
        });
        await expectTensorsClose(y, plain.output, { atol: 1e-5 });
        expect(seen).toEqual([2, 4, 5, 3]);
        // Uniform weights over the causal prefix: query t averages the values 0..t.
        const uniform = tf.tidy(() => {
          const keep = tf.linalg.bandPart(tf.ones([5, 5]), -1, 0);
          return tf.broadcastTo(tf.div(keep, tf.sum(keep, -1, true)), [2, 4, 5, 5]);
        });
        const z = mha.apply(x, { causal: true, hooks: { weights: () => uniform } });
        const expected = tf.tidy(() => {
          const [B, T] = [2, 5];
          const v = tf.transpose(
            tf.reshape(mha.value.apply(x), [B, T, numKeyValueHeads, 3]),
            [0, 2, 1, 3],
          );
          const rep = tf.reshape(tf.tile(tf.expandDims(v, 2), [1, 1, 4 / numKeyValueHeads, 1, 1]), [
            B,
            4,
            T,
            3,
          ]);
          const heads = tf.matMul(uniform, rep); // [B, H, T, 3]
          return mha.output.apply(tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B, T, 12]));
        });
        await expectTensorsClose(z, expected, { atol: 1e-5 });
        tf.dispose([y, z, expected, uniform]);
      });
      tf.dispose([x, plain.output, plain.weights]);
      mha.dispose();
    },
  );

  it('a weights hook needs an exact kernel', () => {
    const mha = tinyAttention({ headSize: 4, dModel: 8, memoryEfficient: true, rng: 1 });
    const x = tf.zeros([1, 3, 8]);
    expect(() => mha.apply(x, { hooks: { weights: () => {} } })).toThrow(AttentionArgumentError);
    tf.dispose(x);
    mha.dispose();
  });
});
