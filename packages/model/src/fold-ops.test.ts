import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { centreRows, padZeros, scaleRows } from './fold-ops.js';

/** Values `[rows, columns]` from a fixed formula (plain numbers: the float64 reference's input). */
const grid = (rows: number, columns: number) =>
  Array.from({ length: rows }, (_, r) =>
    Array.from({ length: columns }, (_, c) => Math.sin(r * 7.3 + c * 1.9) * (1 + r)),
  );

/** Every value of `got` within `tol` (relative to 1 + |want|) of the float64 reference `want`. */
async function expectValues(got: tf.Tensor, want: number[], shape: number[], tol = 1e-6) {
  expect(got.shape).toEqual(shape);
  const values = await got.data();
  expect(values.length).toBe(want.length);
  want.forEach((w, i) => {
    // tol 0: the float32 rounding of the reference exactly.
    if (tol === 0) expect(values[i]).toBe(Math.fround(w));
    else expect(Math.abs(values[i]! - w)).toBeLessThanOrEqual(tol * (1 + Math.abs(w)));
  });
}

describeWithBackends('fold ops (host loops on cpu, tf ops elsewhere)', () => {
  it('scaleRows: x·factor, and each row times its own scale first', async () => {
    const x = grid(5, 3);
    const rows = [0.5, -2, 3, 0.25, 1.5];
    await assertNoLeaks(async () => {
      const [xt, rt] = [tf.tensor2d(x), tf.tensor1d(rows)];
      const scaled = scaleRows(xt, 1.7, rt);
      await expectValues(
        scaled,
        x.flatMap((row, r) => row.map((v) => v * rows[r]! * 1.7)),
        [5, 3],
      );
      // Without rows any rank is scaled whole (a bias [N]).
      const bias = tf.tensor1d(x[0]!);
      const flat = scaleRows(bias, -3);
      await expectValues(
        flat,
        x[0]!.map((v) => -3 * v),
        [3],
      );
      tf.dispose([xt, rt, scaled, bias, flat]);
    });
  });

  it('centreRows: each row minus its mean, at every rank', async () => {
    const x = grid(6, 4);
    await assertNoLeaks(async () => {
      const xt = tf.tensor3d(x.flat(), [2, 3, 4]);
      const centred = centreRows(xt);
      const want = x.flatMap((row) => {
        const mean = row.reduce((a, v) => a + v, 0) / row.length;
        return row.map((v) => v - mean);
      });
      await expectValues(centred, want, [2, 3, 4]);
      tf.dispose([xt, centred]);
    });
  });

  it('padZeros: zeros before and after along each axis, values in place', async () => {
    const x = grid(6, 4); // as [2, 3, 4]
    const pads: [number, number][] = [
      [1, 0],
      [0, 2],
      [3, 1],
    ];
    await assertNoLeaks(async () => {
      const xt = tf.tensor3d(x.flat(), [2, 3, 4]);
      const padded = padZeros(xt, pads);
      const shape = [3, 5, 8];
      const want: number[] = [];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 5; j++) {
          for (let k = 0; k < 8; k++) {
            const [a, b, c] = [i - 1, j, k - 3];
            const inside = a >= 0 && a < 2 && b < 3 && c >= 0 && c < 4;
            want.push(inside ? x[a * 3 + b]![c]! : 0);
          }
        }
      }
      await expectValues(padded, want, shape, 0);
      // A row appended to a matrix, and a column: the folds' own pads.
      const m = tf.tensor2d(x);
      const row = padZeros(m, [
        [0, 1],
        [0, 0],
      ]);
      const column = padZeros(m, [
        [0, 0],
        [0, 1],
      ]);
      await expectValues(row, [...x.flat(), 0, 0, 0, 0], [7, 4], 0);
      await expectValues(
        column,
        x.flatMap((r) => [...r, 0]),
        [6, 5],
        0,
      );
      tf.dispose([xt, padded, m, row, column]);
    });
  });
});
