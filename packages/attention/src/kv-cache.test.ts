import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  tidyAsync,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './errors.js';
import { KVCache } from './kv-cache.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';

/**
 * Random keys `[2, 3, n, 4]` and values `[2, 3, n, 5]`, and `step(t)`, which appends position `t`
 * of both to `cache` and checks that the cache then holds exactly two tensors (however many steps
 * ran).
 */
function onePositionAtATime(cache: KVCache, n: number) {
  const keys = tf.randomNormal([2, 3, n, 4]);
  const values = tf.randomNormal([2, 3, n, 5]);
  const base = tf.memory().numTensors;
  const step = (t: number) => {
    tf.tidy(() =>
      cache.update(
        tf.slice(keys, [0, 0, t, 0], [2, 3, 1, 4]),
        tf.slice(values, [0, 0, t, 0], [2, 3, 1, 5]),
      ),
    );
    expect(tf.memory().numTensors).toBe(base + 2);
  };
  return { keys, values, step };
}

describeWithBackends('KVCache', () => {
  it('appends along the position axis and holds two tensors however many steps run', async () => {
    await assertNoLeaks(async () => {
      const cache = new KVCache();
      const { keys, values, step } = onePositionAtATime(cache, 40);
      for (let t = 0; t < 40; t++) step(t);
      expect(cache.length).toBe(40);
      await expectTensorsClose(cache.keys!, keys, { atol: 0, rtol: 0 });
      await expectTensorsClose(cache.values!, values, { atol: 0, rtol: 0 });
      cache.reset();
      expect(cache.length).toBe(0);
      tf.dispose([keys, values]);
    });
  });

  it('keepLast rolls: it holds the latest positions, exactly, and nothing else', async () => {
    await assertNoLeaks(async () => {
      const cache = new KVCache();
      const { keys, values, step } = onePositionAtATime(cache, 9);
      for (let t = 0; t < 9; t++) {
        cache.keepLast(3);
        step(t);
        expect(cache.length).toBe(Math.min(t + 1, 4));
      }
      // Host copies of positions 5 … 8: the independent reference.
      const [k, v] = [
        (await keys.array()) as number[][][][],
        (await values.array()) as number[][][][],
      ];
      const last4 = (x: number[][][][]) => x.map((b) => b.map((h) => h.slice(5)));
      expect(await cache.keys!.array()).toEqual(last4(k));
      expect(await cache.values!.array()).toEqual(last4(v));
      cache.keepLast(0);
      expect(cache.length).toBe(0);
      expect(() => cache.keepLast(-1)).toThrow(AttentionArgumentError);
      tf.dispose([keys, values]);
    });
  });

  it('cached single-query attention equals the last rows of full causal attention', async () => {
    await tidyAsync(async () => {
      const [q, k, v] = [
        tf.randomNormal([1, 4, 6, 3]),
        tf.randomNormal([1, 2, 6, 3]),
        tf.randomNormal([1, 2, 6, 2]),
      ];
      const full = scaledDotProductAttention(q, k, v, { causal: true });
      const cache = new KVCache();
      for (let t = 0; t < 6; t++) {
        const { keys, values } = cache.update(
          tf.slice(k, [0, 0, t, 0], [1, 2, 1, 3]),
          tf.slice(v, [0, 0, t, 0], [1, 2, 1, 2]),
        );
        const step = scaledDotProductAttention(
          tf.slice(q, [0, 0, t, 0], [1, 4, 1, 3]),
          keys,
          values,
          { causal: true },
        );
        await expectTensorsClose(step, tf.slice(full, [0, 0, t, 0], [1, 4, 1, 2]), { atol: 1e-6 });
      }
      cache.dispose();
    });
  });

  it('rejects mismatched shapes and growth past maxLength with typed errors', () => {
    tf.tidy(() => {
      const cache = new KVCache({ maxLength: 3 });
      cache.update(tf.zeros([1, 2, 2, 4]), tf.zeros([1, 2, 2, 5]));
      expect(() => cache.update(tf.zeros([1, 3, 1, 4]), tf.zeros([1, 3, 1, 5]))).toThrow(
        /key: expected shape \[B, Hkv, t, dk\] = \[1, 2, t, 4\], got \[1, 3, 1, 4\]/,
      );
      expect(() => cache.update(tf.zeros([1, 2, 1, 4]), tf.zeros([1, 2, 1, 6]))).toThrow(
        AttentionShapeError,
      );
      expect(() => cache.update(tf.zeros([1, 2, 2, 4]), tf.zeros([1, 2, 2, 5]))).toThrow(
        KVCacheOverflowError,
      );
      expect(() => cache.update(tf.zeros([1, 2, 2, 4]), tf.zeros([1, 2, 2, 5]))).toThrow(
        /at most maxLength = 3 positions, got 4/,
      );
      expect(cache.length).toBe(2);
      expect(KVCache.fromConfig(cache.getConfig()).maxLength).toBe(3);
      cache.dispose();
    });
  });

  it('reorder keeps row rows[i] as row i (beam search), disposing the old tensors', async () => {
    const keys = tf.tensor4d(
      Float32Array.from({ length: 3 * 2 * 4 * 2 }, (_, i) => i),
      [3, 2, 4, 2],
    );
    const values = tf.tensor4d(
      Float32Array.from({ length: 3 * 2 * 4 }, (_, i) => -i),
      [3, 2, 4, 1],
    );
    await assertNoLeaks(async () => {
      const cache = new KVCache();
      cache.reorder([0, 0]); // empty: nothing to reorder
      cache.update(keys, values);
      const before = tf.memory().numTensors;
      cache.reorder([2, 0, 0, 1]);
      expect(tf.memory().numTensors).toBe(before); // two new tensors replace two old ones
      expect(cache.keys!.shape).toEqual([4, 2, 4, 2]);
      // Plain-TS reference: row r of the [3, …] tensors holds the values r·size … (r + 1)·size − 1.
      const picked = (sign: number, size: number) =>
        [2, 0, 0, 1].flatMap((r) => Array.from({ length: size }, (_, i) => sign * (r * size + i)));
      expect(Array.from(await cache.keys!.data())).toEqual(picked(1, 16));
      expect(Array.from(await cache.values!.data())).toEqual(picked(-1, 8));
      const same = cache.keys;
      cache.reorder([0, 1, 2, 3]); // identity: no copy
      expect(cache.keys).toBe(same);
      expect(() => cache.reorder([0, 4])).toThrow(AttentionArgumentError);
      expect(() => cache.reorder([0, 4])).toThrow(/rows: expected row indices in \[0, 4\), got 4/);
      expect(() => cache.reorder([])).toThrow(/rows: expected a non-empty array/);
      expect(() => cache.reorder([0.5])).toThrow(AttentionArgumentError);
      expect(cache.length).toBe(4);
      cache.dispose();
    });
    tf.dispose([keys, values]);
  });

  it('updatePacked holds [k | v] in one tensor, packing keys/values cached before, exactly', async () => {
    // Plain-TS reference: position t of row b, head h holds key (b, h, t, i) = 100t + 10h + b + i/8
    // (4 columns) and value −(that) (5 columns).
    const entry = (b: number, h: number, t: number, i: number) =>
      (i < 4 ? 1 : -1) * (100 * t + 10 * h + b + (i % 4) / 8);
    const step = (t: number) =>
      tf.tensor4d(
        Float32Array.from({ length: 2 * 3 * 9 }, (_, n) =>
          entry(Math.floor(n / 27), Math.floor(n / 9) % 3, t, n % 9),
        ),
        [2, 3, 1, 9],
      ); // [B, Hkv, 1, dk + dv]
    const expected = (from: number, to: number, rows = [0, 1]) =>
      rows.flatMap((b) =>
        [0, 1, 2].flatMap((h) =>
          Array.from({ length: to - from }, (_, t) =>
            Array.from({ length: 9 }, (_, i) => entry(b, h, from + t, i)),
          ).flat(),
        ),
      );
    await assertNoLeaks(async () => {
      const cache = new KVCache({ maxLength: 6 });
      // Two positions through update (the prompt pass), then packed steps.
      const [first, second] = [step(0), step(1)];
      const part = (x: tf.Tensor, from: number, size: number) =>
        tf.slice(x, [0, 0, 0, from], [-1, -1, -1, size]);
      tf.tidy(() =>
        cache.update(
          tf.concat([part(first, 0, 4), part(second, 0, 4)], 2),
          tf.concat([part(first, 4, 5), part(second, 4, 5)], 2),
        ),
      );
      tf.dispose([first, second]);
      const base = tf.memory().numTensors;
      for (let t = 2; t < 5; t++) {
        const x = step(t);
        const all = cache.updatePacked(x, 4);
        x.dispose();
        expect(tf.memory().numTensors).toBe(base - 1); // one packed tensor where there were two
        expect(all.shape).toEqual([2, 3, t + 1, 9]);
      }
      expect(cache.length).toBe(5);
      const last = step(5);
      expect(Array.from(await cache.updatePacked(last, 4).data())).toEqual(expected(0, 6));
      last.dispose();
      cache.keepLast(2); // positions 4, 5
      cache.reorder([1, 1, 0]);
      const all = tf.tidy(() => cache.updatePacked(tf.zeros([3, 3, 0, 9]), 4));
      expect(Array.from(await all.data())).toEqual(expected(4, 6, [1, 1, 0]));
      // Asking for keys and values unpacks them (two tensors again).
      expect(Array.from(await cache.keys!.data())).toEqual(
        expected(4, 6, [1, 1, 0]).filter((_, n) => n % 9 < 4),
      );
      expect(Array.from(await cache.values!.data())).toEqual(
        expected(4, 6, [1, 1, 0]).filter((_, n) => n % 9 >= 4),
      );
      tf.tidy(() => {
        expect(() => cache.updatePacked(tf.zeros([3, 3, 1, 9]), 5)).toThrow(AttentionShapeError);
        expect(() => cache.updatePacked(tf.zeros([3, 3, 1, 9]), 5)).toThrow(
          /entries: expected shape \[B, Hkv, t, dk \+ dv\] = \[3, 3, t, 4 \+ 5\] \(keySize 4\), got \[3, 3, 1, 9\]/,
        );
        expect(() => cache.updatePacked(tf.zeros([3, 2, 1, 9]), 4)).toThrow(AttentionShapeError);
        expect(() => cache.updatePacked(tf.zeros([3, 3, 1, 9]), 9)).toThrow(AttentionArgumentError);
        cache.updatePacked(tf.zeros([3, 3, 4, 9]), 4); // 2 + 4 = 6 positions: full
        expect(() => cache.updatePacked(tf.zeros([3, 3, 1, 9]), 4)).toThrow(KVCacheOverflowError);
      });
      cache.dispose();
    });
  });
});
