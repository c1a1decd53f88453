import * as tf from '@tensorflow/tfjs-core';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';

/**
 * Mask builders. Every mask is a `bool` tensor where `true` means "may attend", shaped to
 * broadcast against the attention scores `[B, H, T, S]` (T queries, S keys). Query `i` sits at
 * absolute position `queryOffset + i`; keys sit at `0 … S-1`. The default `queryOffset = S - T`
 * aligns the last query with the last key, which is what cached decoding needs (T new queries
 * appended after S - T cached positions).
 */
export interface PositionOptions {
  /** Absolute position of query 0. Default `S - T`. */
  queryOffset?: number;
}

/** Causal mask `[1, 1, T, S]`: query at position p sees keys at positions ≤ p. */
export function causalMask(
  queryLength: number,
  keyLength: number,
  options: PositionOptions = {},
): tf.Tensor4D {
  return relativePositionMask(queryLength, keyLength, options, (delta) =>
    tf.greaterEqual(delta, 0),
  );
}

/**
 * Sliding-window (local) mask `[1, 1, T, S]`: query at position p sees keys at positions
 * p - window < j ≤ p when `causal` (default, as in Mistral / Longformer's one-sided window), or
 * |p - j| < window otherwise.
 */
export function slidingWindowMask(
  queryLength: number,
  keyLength: number,
  window: number,
  options: PositionOptions & { causal?: boolean } = {},
): tf.Tensor4D {
  checkPositive('window', window);
  const causal = options.causal ?? true;
  return relativePositionMask(queryLength, keyLength, options, (delta) =>
    causal
      ? tf.logicalAnd(tf.greaterEqual(delta, 0), tf.less(delta, window))
      : tf.less(tf.abs(delta), window),
  );
}

/**
 * Key-padding mask `[B, 1, 1, S]` from per-sequence lengths (`lengths[b]` valid keys, the rest
 * padding) or from a `[B, S]` tensor (bool, or numeric with non-zero = valid, as tokenizers emit).
 */
export function paddingMask(validity: number[] | tf.Tensor, keyLength?: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (Array.isArray(validity)) {
      if (keyLength === undefined) {
        throw new AttentionArgumentError(
          'keyLength',
          'a length when building from lengths',
          keyLength,
        );
      }
      validity.forEach((len, b) => {
        if (!Number.isInteger(len) || len < 0 || len > keyLength) {
          throw new AttentionArgumentError(`lengths[${b}]`, `an integer in [0, ${keyLength}]`, len);
        }
      });
      const positions = tf.reshape(tf.range(0, keyLength, 1, 'int32'), [1, keyLength]); // [1, S]
      const lengths = tf.tensor2d(validity, [validity.length, 1], 'int32'); // [B, 1]
      return tf.reshape(tf.less(positions, lengths), [validity.length, 1, 1, keyLength]); // [B, 1, 1, S]
    }
    if (validity.rank !== 2) throw new AttentionShapeError('validity', '[B, S]', validity.shape);
    const [b, s] = validity.shape as [number, number];
    if (keyLength !== undefined && s !== keyLength) {
      throw new AttentionShapeError('validity', `[B, S] with S = ${keyLength}`, validity.shape);
    }
    const keep = validity.dtype === 'bool' ? validity : tf.notEqual(validity, 0);
    return tf.reshape(keep, [b, 1, 1, s]); // [B, 1, 1, S]
  });
}

/**
 * Combines masks: boolean masks are AND-ed; if any mask is additive (float, 0 = keep, ≤ -1e9 or
 * -Infinity = masked), the result is additive and boolean masks become 0 / -Infinity. Shapes
 * broadcast, e.g. `[1, 1, T, S]` with `[B, 1, 1, S]` gives `[B, 1, T, S]`.
 */
export function combineMasks(...masks: tf.Tensor[]): tf.Tensor {
  if (masks.length === 0) throw new AttentionArgumentError('masks', 'at least one mask', 0);
  return tf.tidy(() => {
    const additive = masks.some((m) => m.dtype === 'float32');
    if (!additive)
      return masks
        .map((m) => (m.dtype === 'bool' ? m : tf.notEqual(m, 0)))
        .reduce((a, b) => tf.logicalAnd(a, b));
    return masks
      .map((m) =>
        m.dtype === 'float32'
          ? m
          : tf.where(tf.notEqual(m, 0), tf.scalar(0), tf.scalar(Number.NEGATIVE_INFINITY)),
      )
      .reduce((a, b) => tf.add(a, b));
  });
}

function relativePositionMask(
  queryLength: number,
  keyLength: number,
  { queryOffset = keyLength - queryLength }: PositionOptions,
  keep: (delta: tf.Tensor2D) => tf.Tensor,
): tf.Tensor4D {
  checkPositive('queryLength', queryLength);
  checkPositive('keyLength', keyLength);
  if (!Number.isInteger(queryOffset))
    throw new AttentionArgumentError('queryOffset', 'an integer', queryOffset);
  return tf.tidy(() => {
    const delta = positionDelta(queryLength, 0, keyLength, queryOffset); // [T, S]
    return tf.reshape(keep(delta), [1, 1, queryLength, keyLength]); // [1, 1, T, S]
  });
}

/** `[T, C]` query position minus key position, for keys `keyStart … keyStart + C - 1`. */
export function positionDelta(
  queryLength: number,
  keyStart: number,
  keyCount: number,
  queryOffset: number,
): tf.Tensor2D {
  const queries = tf.reshape(tf.range(queryOffset, queryOffset + queryLength, 1, 'int32'), [
    queryLength,
    1,
  ]); // [T, 1]
  const keys = tf.reshape(tf.range(keyStart, keyStart + keyCount, 1, 'int32'), [1, keyCount]); // [1, C]
  return tf.sub(queries, keys) as tf.Tensor2D;
}

function checkPositive(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new AttentionArgumentError(argument, 'a positive integer', value);
}
