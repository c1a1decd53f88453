import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  tidyAsync,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { KVCache } from './kv-cache.js';
import { paddingMask } from './masks.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { random, tinyAttention } from './testing/fixtures.js';

describeWithBackends('MultiHeadAttention decoding, config, dropout, errors', () => {
  for (const [memoryEfficient, position, kernel] of [
    [false, 'none', 'per-head'],
    [false, 'none', 'batched'],
    [{ chunkSize: 3 }, 'none', 'auto'],
    [false, 'rope', 'per-head'],
    [{ chunkSize: 3 }, 'alibi', 'auto'],
  ] as const) {
    it(`cached decoding equals full recomputation at every position (GQA, window, position ${position}; kernel ${kernel}, memoryEfficient: ${JSON.stringify(memoryEfficient)})`, async () => {
      const mha = new MultiHeadAttention({
        numHeads: 4,
        numKeyValueHeads: 2,
        headSize: 4,
        dModel: 8,
        window: 4,
        memoryEfficient,
        position,
        kernel,
        maxLength: 16,
        rng: 21,
      });
      const [B, T] = [2, 9];
      const x = tf.tensor3d(random(B * T * 8, 22), [B, T, 8]);
      const full = mha.apply(x, { causal: true }); // [B, T, 8]
      await assertNoLeaks(async () => {
        const cache = new KVCache({ maxLength: T });
        let start = 0;
        // A 3-token prefill, then one token at a time.
        for (const len of [3, 1, 1, 1, 1, 1, 1]) {
          const before = tf.memory().numTensors;
          const out = tf.tidy(() =>
            mha.apply(tf.slice(x, [0, start, 0], [B, len, 8]), { causal: true, cache }),
          );
          // Only the step's output is new; after the first step the cache replaces its two tensors.
          expect(tf.memory().numTensors - before).toBe(start === 0 ? 3 : 1);
          await tidyAsync(
            async () =>
              await expectTensorsClose(out, tf.slice(full, [0, start, 0], [B, len, 8]), {
                atol: 1e-5,
              }),
          );
          out.dispose();
          start += len;
          expect(cache.length).toBe(start);
        }
        cache.dispose();
      });
      tf.dispose([x, full]);
      mha.dispose();
    });
  }

  it('memory-efficient MHA gives the plain gradients, with the mask built inside the loss', async () => {
    const options = { numHeads: 2, numKeyValueHeads: 1, headSize: 3, dModel: 4 };
    const plain = new MultiHeadAttention({ ...options, rng: 71 });
    const chunked = new MultiHeadAttention({
      ...options,
      memoryEfficient: { chunkSize: 2 },
      rng: 72,
    });
    chunked.loadStateDict(plain.stateDict());
    await tidyAsync(async () => {
      const x = tf.tensor3d(random(2 * 5 * 4, 73), [2, 5, 4]);
      const grads = (mha: MultiHeadAttention) => {
        const { grads } = tf.variableGrads(
          () =>
            tf.sum(
              tf.square(mha.apply(x, { causal: true, mask: paddingMask([5, 3], 5) })),
            ) as tf.Scalar,
          mha.trainableParameters(),
        );
        return mha.parameters().map((v) => grads[v.name]!);
      };
      const expected = grads(plain);
      for (const [i, g] of grads(chunked).entries())
        await expectTensorsClose(g, expected[i]!, { atol: 1e-5 });
    });
    plain.dispose();
    chunked.dispose();
  });

  it('getConfig / fromConfig round-trip; a loaded state dict reproduces the output', async () => {
    const mha = tinyAttention({
      numKeyValueHeads: 1,
      headSize: 3,
      window: 3,
      dropout: 0.1,
      rng: 31,
    });
    const config = mha.getConfig();
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    const copy = MultiHeadAttention.fromConfig(config, 99);
    expect(copy.getConfig()).toEqual(config);
    copy.loadStateDict(mha.stateDict());
    mha.eval();
    copy.eval();
    await tidyAsync(async () => {
      const x = tf.tensor3d(random(2 * 5 * 4, 32), [2, 5, 4]);
      await expectTensorsClose(copy.apply(x, { causal: true }), mha.apply(x, { causal: true }), {
        atol: 0,
        rtol: 0,
      });
    });
    expect(mha.parameterCount()).toBe(4 * 6 + 6 + 2 * (4 * 3 + 3) + 6 * 4 + 4);
    mha.dispose();
    copy.dispose();
  });

  for (const memoryEfficient of [false, { chunkSize: 2 }] as const) {
    it(`attention dropout: active only in training mode, seeded by the layer rng (memoryEfficient: ${JSON.stringify(memoryEfficient)})`, async () => {
      const make = () => tinyAttention({ headSize: 4, dropout: 0.5, memoryEfficient, rng: 41 });
      const [a, b] = [make(), make()];
      await tidyAsync(async () => {
        const x = tf.tensor3d(random(1 * 6 * 4, 42), [1, 6, 4]);
        const trainA = a.apply(x);
        await expectTensorsClose(b.apply(x), trainA, { atol: 0, rtol: 0 });
        expect(a.apply(x).arraySync()).not.toEqual(trainA.arraySync());
        a.eval();
        const evalOut = a.apply(x);
        await expectTensorsClose(a.apply(x), evalOut, { atol: 0, rtol: 0 });
        expect(evalOut.arraySync()).not.toEqual(trainA.arraySync());
      });
      a.dispose();
      b.dispose();
    });
  }

  it('forward and backward leave no tensors behind', async () => {
    const mha = tinyAttention({ dropout: 0.2, rng: 51 });
    const x = tf.tensor3d(random(2 * 3 * 4, 52), [2, 3, 4]);
    await assertNoLeaks(() => {
      mha.apply(x, { causal: true }).dispose();
      const { output, weights } = mha.apply(x, { returnAttentionWeights: true });
      tf.dispose([output, weights]);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(mha.apply(x, { causal: true })) as tf.Scalar,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    mha.dispose();
  });

  it('bad arguments raise typed errors naming the argument and both shapes', () => {
    expect(
      () => new MultiHeadAttention({ numHeads: 4, numKeyValueHeads: 3, headSize: 2, dModel: 4 }),
    ).toThrow(/numKeyValueHeads: expected a divisor of numHeads = 4, got 3/);
    expect(
      () =>
        new MultiHeadAttention({ numHeads: 2, headSize: 2, dModel: 4, position: 'xpos' as 'rope' }),
    ).toThrow(/position: expected 'none', 'rope' or 'alibi', got 'xpos'/);
    expect(() => new MultiHeadAttention({ numHeads: 0, headSize: 2, dModel: 4 })).toThrow(
      AttentionArgumentError,
    );
    const mha = tinyAttention({ memoryDim: 3, rng: 61 });
    tf.tidy(() => {
      expect(() => mha.apply(tf.zeros([2, 3, 5]))).toThrow(
        /query: expected shape \[B, T, 4\], got \[2, 3, 5\]/,
      );
      expect(() => mha.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([1, 5, 3]) })).toThrow(
        /key: expected shape \[2, S, 3\], got \[1, 5, 3\]/,
      );
      expect(() =>
        mha.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([2, 5, 3]), key: tf.zeros([2, 4, 3]) }),
      ).toThrow(AttentionShapeError);
      const rope = tinyAttention({ memoryDim: 3, position: 'rope', rng: 62 });
      expect(() => rope.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([2, 5, 3]) })).toThrow(
        /position: expected 'none' for cross-attention, got 'rope'/,
      );
      rope.dispose();
    });
    mha.dispose();
  });
});
