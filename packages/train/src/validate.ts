import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';

/** Shape as the messages print it: `[2,3,5]`. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless `value` is a finite number within [min, max] (bounds inclusive unless told). */
export function checkNumber(
  argument: string,
  value: number,
  { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, minExclusive = false } = {},
): void {
  const tooLow = minExclusive ? value <= min : value < min;
  if (!Number.isFinite(value) || tooLow || value > max) {
    const lower = min === Number.NEGATIVE_INFINITY ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
    const upper = max === Number.POSITIVE_INFINITY ? '' : `≤ ${max}`;
    throw new InvalidArgumentError(
      argument,
      `a finite number ${[lower, upper].filter(Boolean).join(' and ')}`.trim(),
      String(value),
    );
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(argument: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(argument, `an integer ≥ ${min}`, String(value));
  }
}

/** Throws unless `logits` has rank ≥ 2 and is float32 (a class axis last). */
export function checkLogits(argument: string, logits: tf.Tensor): void {
  if (logits.rank < 2) {
    throw new InvalidArgumentError(
      argument,
      'rank ≥ 2, [..., numClasses]',
      `rank ${logits.rank} ${shapeString(logits.shape)}`,
    );
  }
  if (logits.dtype !== 'float32') {
    throw new InvalidArgumentError(argument, 'dtype float32', `dtype ${logits.dtype}`);
  }
}

/** Throws unless `labels` is int32 with the shape of `logits` minus its last axis. */
export function checkLabels(argument: string, labels: tf.Tensor, logits: tf.Tensor): void {
  const expected = logits.shape.slice(0, -1);
  if (labels.shape.join() !== expected.join()) {
    throw new InvalidArgumentError(
      argument,
      `shape ${shapeString(expected)} (logits without the class axis)`,
      `shape ${shapeString(labels.shape)}`,
    );
  }
  if (labels.dtype !== 'int32') {
    throw new InvalidArgumentError(argument, 'dtype int32 (class ids)', `dtype ${labels.dtype}`);
  }
}
