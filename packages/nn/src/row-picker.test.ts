import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { rowPicker } from './index.js';

describeWithBackends('rowPicker', () => {
  // x[r, c, k] = 100r + 10c + k: every picked entry names the row it came from.
  const table = () =>
    tf.tensor3d(
      Array.from({ length: 4 * 2 * 3 }, (_, i) => 100 * Math.floor(i / 6) + (i % 6)),
      [4, 2, 3],
    );
  const expected = (rows: number[]) =>
    rows.flatMap((r) => Array.from({ length: 6 }, (_, i) => 100 * r + i));

  it('picks rows along axis 0, repeated and reordered, laid out as the given shape', async () => {
    await assertNoLeaks(async () => {
      const x = table();
      const [flat, grid] = tf.tidy(() => [
        rowPicker([2, 0, 0, 3])(x),
        rowPicker([1, 3, 2, 1], [2, 2])(x),
      ]);
      expect(flat!.shape).toEqual([4, 2, 3]);
      expect(Array.from(await flat!.data())).toEqual(expected([2, 0, 0, 3]));
      expect(grid!.shape).toEqual([2, 2, 2, 3]);
      expect(Array.from(await grid!.data())).toEqual(expected([1, 3, 2, 1]));
      tf.dispose([x, flat!, grid!]);
    });
  });
});
