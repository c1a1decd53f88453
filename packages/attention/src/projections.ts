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
 * (plus the two adds summing three `dX`) pay for it — on node a baby layer's projections, forward
 * and backward, took ~5.7 ms instead of ~6.9 ms. A decoding step (one row) keeps three, and so
 * does wasm: its three products cost what one wide product does, and splitting the wide result
 * into q, k and v (and concatenating their gradients) copies row by row in JavaScript, ~5 ms more
 * per layer.
 */
export function fuseProjections(rows: number, dModel: number): boolean {
  return rows >= dModel && tf.getBackend() !== 'wasm';
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
  if (Hkv === H && dk === dv) {
    // q, k and v as the outer axis, each then one contiguous block: one transpose and one
    // unstack (tfjs-node moved [B, T, 3H, dk] → [B, 3H, T, dk] in ~3.3 ms, this in ~0.4 ms).
    const qkv = tf.transpose(tf.reshape(y, [B, T, 3, H, dk]), [2, 0, 3, 1, 4]); // [3, B, H, T, dk]
    return tf.unstack(qkv) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
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
