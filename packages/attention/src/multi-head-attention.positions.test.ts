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
import { MultiHeadAttention } from './multi-head-attention.js';
import { random, tinyAttention } from './testing/fixtures.js';

describeWithBackends('MultiHeadAttention per-row positions and cached cross-attention', () => {
  it('per-row RoPE positions: a left-padded row in a batch equals the row alone', async () => {
    const mha = new MultiHeadAttention({
      numHeads: 2,
      numKeyValueHeads: 1,
      headSize: 4,
      dModel: 8,
      position: 'rope',
      maxLength: 16,
      rng: 31,
    });
    const [T, pad] = [5, 2];
    const x = tf.tensor3d(random(2 * T * 8, 32), [2, T, 8]);
    // Row 0 is full; row 1 has `pad` padding columns, so its real tokens sit at positions 0, 1, 2.
    const positions = tf.tensor2d([0, 1, 2, 3, 4, 0, 0, 0, 1, 2], [2, T], 'int32');
    const mask = tf.tensor2d([1, 1, 1, 1, 1, 0, 0, 1, 1, 1], [2, T], 'int32');
    await assertNoLeaks(
      async () =>
        await tidyAsync(async () => {
          const batch = mha.apply(x, { causal: true, mask, positions }); // [2, T, 8]
          const row0 = mha.apply(tf.slice(x, [0, 0, 0], [1, T, 8]), { causal: true }); // [1, T, 8]
          const row1 = mha.apply(tf.slice(x, [1, pad, 0], [1, T - pad, 8]), { causal: true }); // [1, T − pad, 8]
          await expectTensorsClose(tf.slice(batch, [0, 0, 0], [1, T, 8]), row0, { atol: 1e-5 });
          await expectTensorsClose(tf.slice(batch, [1, pad, 0], [1, T - pad, 8]), row1, {
            atol: 1e-5,
          });
          // [1, T] positions equal to the default (cache length 0) change nothing.
          const shared = tf.tensor2d([[0, 1, 2, 3, 4]], [1, T], 'int32');
          await expectTensorsClose(
            mha.apply(x, { causal: true, positions: shared }),
            mha.apply(x, { causal: true }),
            { atol: 1e-6 },
          );
        }),
    );
    tf.dispose([x, positions, mask]);
    mha.dispose();
  });

  it('per-row positions with a cache: each row decodes as alone from its own offset', async () => {
    const mha = tinyAttention({ headSize: 4, dModel: 8, position: 'rope', rng: 33 });
    await tidyAsync(async () => {
      const x = tf.tensor3d(random(2 * 4 * 8, 34), [2, 4, 8]);
      // Row 1: one padding column, then three real tokens at positions 0, 1, 2.
      const mask = tf.tensor2d([1, 1, 1, 1, 0, 1, 1, 1], [2, 4], 'int32');
      const cache = new KVCache();
      const prefill = tf.tensor2d([0, 1, 2, 0, 0, 1], [2, 3], 'int32');
      mha.apply(tf.slice(x, [0, 0, 0], [2, 3, 8]), {
        causal: true,
        cache,
        positions: prefill,
        mask: tf.slice(mask, [0, 0], [2, 3]),
      });
      const step = mha.apply(tf.slice(x, [0, 3, 0], [2, 1, 8]), {
        causal: true,
        cache,
        positions: tf.tensor2d([3, 2], [2, 1], 'int32'),
        mask,
      }); // [2, 1, 8]
      cache.dispose();
      const alone0 = mha.apply(tf.slice(x, [0, 0, 0], [1, 4, 8]), { causal: true }); // [1, 4, 8]
      const alone1 = mha.apply(tf.slice(x, [1, 1, 0], [1, 3, 8]), { causal: true }); // [1, 3, 8]
      await expectTensorsClose(
        tf.slice(step, [0, 0, 0], [1, 1, 8]),
        tf.slice(alone0, [0, 3, 0], [1, 1, 8]),
        {
          atol: 1e-5,
        },
      );
      await expectTensorsClose(
        tf.slice(step, [1, 0, 0], [1, 1, 8]),
        tf.slice(alone1, [0, 2, 0], [1, 1, 8]),
        {
          atol: 1e-5,
        },
      );
    });
    mha.dispose();
  });

  it('cached cross-attention equals uncached: the memory is projected once, then reused', async () => {
    const mha = new MultiHeadAttention({
      numHeads: 4,
      numKeyValueHeads: 2,
      headSize: 3,
      dModel: 8,
      memoryDim: 6,
      rng: 35,
    });
    const [B, T, S] = [2, 4, 5];
    const y = tf.tensor3d(random(B * T * 8, 36), [B, T, 8]);
    const memory = tf.tensor3d(random(B * S * 6, 37), [B, S, 6]);
    const memoryMask = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [B, S], 'int32');
    const full = mha.apply(y, { value: memory, mask: memoryMask }); // [B, T, 8]
    const ignored = tf.zeros([B, S, 6]);
    await assertNoLeaks(async () => {
      const cache = new KVCache();
      for (let t = 0; t < T; t++) {
        const before = tf.memory().numTensors;
        const out = tf.tidy(() =>
          // After the first step the memory input is not read: zeros give the same result.
          mha.apply(tf.slice(y, [0, t, 0], [B, 1, 8]), {
            value: t === 0 ? memory : ignored,
            mask: memoryMask,
            cache,
          }),
        );
        expect(tf.memory().numTensors - before).toBe(t === 0 ? 3 : 1);
        expect(cache.length).toBe(S);
        await tidyAsync(
          async () =>
            await expectTensorsClose(out, tf.slice(full, [0, t, 0], [B, 1, 8]), { atol: 1e-5 }),
        );
        out.dispose();
      }
      cache.reorder([1, 1]); // beam search: both hypotheses continue row 1
      const out = tf.tidy(() =>
        mha.apply(tf.tile(tf.slice(y, [1, 0, 0], [1, 1, 8]), [2, 1, 1]), {
          value: ignored,
          mask: tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 0, 0], [B, S], 'int32'),
          cache,
        }),
      );
      await tidyAsync(async () => {
        const expected = tf.slice(full, [1, 0, 0], [1, 1, 8]); // [1, 1, 8]
        await expectTensorsClose(out, tf.concat([expected, expected], 0), { atol: 1e-5 });
      });
      out.dispose();
      cache.dispose();
    });
    tf.dispose([y, memory, memoryMask, full, ignored]);
    mha.dispose();
  });

  it('bad positions raise typed errors naming the argument', () => {
    const rope = tinyAttention({ position: 'rope', rng: 38 });
    const plain = tinyAttention({ rng: 39 });
    tf.tidy(() => {
      const x = tf.zeros([2, 3, 4]);
      expect(() => plain.apply(x, { positions: tf.zeros([2, 3], 'int32') })).toThrow(
        AttentionArgumentError,
      );
      expect(() => plain.apply(x, { positions: tf.zeros([2, 3], 'int32') })).toThrow(
        /call.positions: expected undefined unless position is 'rope'/,
      );
      expect(() => rope.apply(x, { positions: tf.zeros([2, 3]) as tf.Tensor2D })).toThrow(
        /call.positions.dtype: expected 'int32', got 'float32'/,
      );
      expect(() => rope.apply(x, { positions: tf.zeros([3, 3], 'int32') })).toThrow(
        AttentionShapeError,
      );
      expect(() => rope.apply(x, { positions: tf.zeros([2, 4], 'int32') })).toThrow(
        /call.positions: expected shape \[2 or 1, 3\], got \[2, 4\]/,
      );
    });
    rope.dispose();
    plain.dispose();
  });
});
