import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  refAlibi,
  refRope,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionShapeError } from './errors.js';
import { KVCache } from './kv-cache.js';
import { paddingMask } from './masks.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { random, reference } from './testing/fixtures.js';

describeWithBackends('MultiHeadAttention positions and cached decoding', () => {
  it('position: rope matches the float64 reference (RoPE on queries and keys, GQA, causal)', () => {
    const mha = new MultiHeadAttention({
      numHeads: 4,
      numKeyValueHeads: 2,
      keyDim: 4,
      inputDim: 6,
      position: 'rope',
      maxLength: 16,
      rng: 81,
    });
    const [B, T] = [2, 5];
    const x = random(B * T * 6, 82);
    const ref = reference(mha, x, x, B, T, T, {
      causal: true,
      rotate: (h, shape, offset) => refRope(h, shape, offset, 'half'),
    });
    tf.tidy(() =>
      expectTensorsClose(mha.apply(tf.tensor3d(x, [B, T, 6]), { causal: true }), ref.output, {
        atol: 1e-5,
      }),
    );
    expect(mha.namedParameters().length).toBe(8); // RoPE adds no parameters
    mha.dispose();
  });

  it('position: alibi matches the float64 reference, combined with key padding', () => {
    const mha = new MultiHeadAttention({
      numHeads: 4,
      keyDim: 2,
      inputDim: 4,
      position: 'alibi',
      rng: 83,
    });
    const [B, T] = [2, 4];
    const x = random(B * T * 4, 84);
    const bias = refAlibi(mha.alibi!.slopes, T, T, 0);
    const lengths = [4, 3];
    const ref = reference(mha, x, x, B, T, T, {
      causal: true,
      bias: (_b, h, i, j) => bias[(h * T + i) * T + j]!,
      allowed: (b, _h, _i, j) => j < lengths[b]!,
    });
    tf.tidy(() => {
      const out = mha.apply(tf.tensor3d(x, [B, T, 4]), {
        causal: true,
        mask: paddingMask(lengths, T),
      });
      expectTensorsClose(out, ref.output, { atol: 1e-5 });
      expect(() =>
        mha.apply(tf.tensor3d(x, [B, T, 4]), { mask: tf.ones([B, T + 1], 'bool') }),
      ).toThrow(AttentionShapeError);
    });
    mha.dispose();
  });

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
        keyDim: 4,
        inputDim: 8,
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
      await assertNoLeaks(() => {
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
          tf.tidy(() =>
            expectTensorsClose(out, tf.slice(full, [0, start, 0], [B, len, 8]), { atol: 1e-5 }),
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
});
