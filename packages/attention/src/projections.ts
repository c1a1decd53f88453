import * as tf from '@tensorflow/tfjs-core';
import { type Dense, linear } from '@tformer/nn';

/** Heads and per-head sizes of the projections. */
export interface HeadDims {
  /** Query heads. */
  H: number;
  /** Key/value heads. */
  Hkv: number;
  /** Per-head size of queries and keys. */
  dk: number;
  /** Per-head size of values. */
  dv: number;
}

/**
 * `[B, L, heads·d]` or `[B·L, heads·d]` → `[B, heads, L, d]` (one reshape when L = 1: a decoding
 * step, same memory order).
 */
export function splitHeads(
  x: tf.Tensor,
  B: number,
  L: number,
  heads: number,
  d: number,
): tf.Tensor4D {
  if (L === 1) return tf.reshape(x, [B, heads, 1, d]); // [B, heads, 1, d]
  return tf.transpose(tf.reshape(x, [B, L, heads, d]), [0, 2, 1, 3]); // [B, L, heads, d] → [B, heads, L, d]
}

/**
 * Whether self-attention's three projections of `rows` input rows of width `dModel` run as one
 * product. The fused product first copies the three kernels side by side (3·dModel² numbers, and
 * its gradient splits them back): with at least `dModel` rows that copy is no larger than the
 * product's own output, and one product, one head split and one gradient `dX` instead of three
 * (plus the two adds summing three `dX`) pay for it; a decoding step (one row) keeps three.
 */
export function fuseProjections(rows: number, dModel: number): boolean {
  return rows >= dModel;
}

/**
 * Self-attention's queries `[B, H, T, dk]`, keys `[B, Hkv, T, dk]` and values `[B, Hkv, T, dv]`
 * from one product of the rows `x` `[B·T, dModel]` with the three kernels side by side
 * (`[dModel, H·dk + Hkv·dk + Hkv·dv]`), instead of three products. The parameters stay the
 * three layers' own (`query`, `key`, `value`: saved names and shapes do not change), and the
 * values equal three separate products column by column.
 */
export function fusedProjections(
  x: tf.Tensor2D,
  layers: readonly [Dense, Dense, Dense],
  B: number,
  T: number,
  { H, Hkv, dk, dv }: HeadDims,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const kernel = concatColumns(layers.map((l) => l.kernel)); // [dModel, H·dk + Hkv·(dk + dv)]
  const biases = layers.map((l) => l.bias).filter((b) => b !== undefined);
  const bias = biases.length === 3 ? concatColumns(biases) : undefined;
  const y = linear(x, kernel, bias); // [B·T, H·dk + Hkv·(dk + dv)]
  if (dk === dv) {
    // All heads as one axis, then one split: [B, T, H + 2Hkv, dk] → [B, H + 2Hkv, T, dk].
    const heads = tf.transpose(tf.reshape(y, [B, T, H + 2 * Hkv, dk]), [0, 2, 1, 3]);
    return tf.split(heads, [H, Hkv, Hkv], 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  }
  const [q, k, v] = tf.split(y, [H * dk, Hkv * dk, Hkv * dv], 1);
  return [
    splitHeads(q!, B, T, H, dk), // [B, H, T, dk]
    splitHeads(k!, B, T, Hkv, dk), // [B, Hkv, T, dk]
    splitHeads(v!, B, T, Hkv, dv), // [B, Hkv, T, dv]
  ];
}

/**
 * The tensors side by side along their last axis, as one op whose gradient is one split:
 * tfjs' own `concat` also saves an `Identity` copy of every input for its gradient.
 */
function concatColumns(parts: tf.Tensor[]): tf.Tensor {
  const axis = parts[0]!.rank - 1;
  const sizes = parts.map((p) => p.shape[axis]!);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.concat(args.slice(0, parts.length) as tf.Tensor[], axis),
    gradFunc: (dy: tf.Tensor) => tf.split(dy, sizes, axis),
  }));
  return op(...parts);
}
