import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from './errors.js';

/** Throws {@link ShapeError} unless `x` has rank `rank` (or one of `rank` when a list). */
export function assertRank(x: tf.Tensor, rank: number | readonly number[], argument: string): void {
  const ranks = typeof rank === 'number' ? [rank] : rank;
  if (!ranks.includes(x.rank)) {
    throw new ShapeError(argument, `rank ${ranks.join(' or ')}`, x.shape);
  }
}

/**
 * Throws {@link ShapeError} unless `x` has exactly `expected`'s rank and sizes; `null` in
 * `expected` matches any size.
 */
export function assertShape(
  x: tf.Tensor,
  expected: readonly (number | null)[],
  argument: string,
): void {
  const ok = x.rank === expected.length && expected.every((d, i) => d === null || d === x.shape[i]);
  if (!ok) throw new ShapeError(argument, expected, x.shape);
}

/** Throws {@link ShapeError} unless the last axis of `x` has size `size`. */
export function assertLastDim(x: tf.Tensor, size: number, argument: string): void {
  if (x.rank === 0 || x.shape[x.rank - 1] !== size) {
    throw new ShapeError(argument, `last dimension ${size}`, x.shape);
  }
}

/** Throws {@link ArgumentError} unless `value` is an integer ≥ `min` (default 1). */
export function assertInt(value: unknown, argument: string, min = 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ArgumentError(argument, value, `an integer ≥ ${min}`);
  }
}
