import * as tf from '@tensorflow/tfjs-core';
import { ModelArgumentError } from './errors.js';
import { type LocalHooks, runHook } from './hooks.js';

/**
 * The residual stream inside the blocks is kept as rows `[B·T, dModel]`: every projection, norm,
 * dropout and residual add then works on rank-2 tensors, and the stream is reshaped once where a
 * stack or model is entered and left instead of twice per projection (a reshape is a kernel, and
 * its gradient another, on every backend). Hooks still see `[B, T, dModel]`.
 */

/**
 * `[B, T]` of the stream `x`: `[B, T, dModel]`, or rows `[B·T, dModel]` with `batchSize` B.
 * Anything else is a typed error naming `name`.
 */
export function streamShape(
  name: string,
  x: tf.Tensor,
  dModel: number,
  batchSize?: number,
): [number, number] {
  const asRows = x instanceof tf.Tensor && x.rank === 2 && batchSize !== undefined;
  const ok =
    x instanceof tf.Tensor &&
    x.dtype === 'float32' &&
    x.shape[x.rank - 1] === dModel &&
    (asRows
      ? Number.isInteger(batchSize) && batchSize! > 0 && x.shape[0]! % batchSize! === 0
      : x.rank === 3);
  if (!ok) {
    const expected = asRows
      ? `a float32 tensor [B·T, ${dModel}] with B = ${batchSize}`
      : `a float32 tensor [B, T, ${dModel}]`;
    const got = x instanceof tf.Tensor ? `${x.dtype} [${x.shape.join(', ')}]` : x;
    throw new ModelArgumentError(name, expected, got);
  }
  return asRows ? [batchSize!, x.shape[0]! / batchSize!] : [x.shape[0]!, x.shape[1]!];
}

/** `[B, T, C]` → rows `[B·T, C]`; rows stay as they are. */
export function toRows(x: tf.Tensor): tf.Tensor2D {
  if (x.rank === 2) return x as tf.Tensor2D;
  const C = x.shape[x.rank - 1]!;
  return tf.reshape(x, [-1, C]); // [B·T, C]
}

/** Rows `[B·T, C]` → `[B, T, C]`. */
export function fromRows(rows: tf.Tensor, B: number): tf.Tensor3D {
  const [n, C] = rows.shape as [number, number];
  return tf.reshape(rows, [B, n / B, C]); // [B, T, C]
}

/**
 * {@link runHook} on rows `h` `[B·T, C]`, shown to the hook as `[B, T, C]` (its documented
 * shape); no reshape when no hook sits at `name`.
 */
export function runRowsHook(
  hooks: LocalHooks | undefined,
  name: string,
  h: tf.Tensor,
  B: number,
): tf.Tensor {
  if (!hooks?.[name]) return h;
  const seen = fromRows(h, B);
  const replaced = runHook(hooks, name, seen);
  return replaced === seen ? h : toRows(replaced);
}

/**
 * `x + b` for `b` that broadcasts to `x`'s shape (`[B, T, C] + [T, C]` or `+ [1, T, C]`), as one
 * op whose gradient is `dy` itself (summed over the broadcast axes for `b`): tfjs' own `add`
 * saves an `Identity` copy of both inputs and reshapes both gradients, four kernels per residual
 * add for nothing.
 */
export function addStream(x: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const lead = x.rank - b.rank;
  const fits = lead >= 0 && b.shape.every((d, i) => d === x.shape[lead + i] || d === 1);
  if (!fits) throw new ModelArgumentError('b', `a shape broadcasting to [${x.shape}]`, b.shape);
  // The axes of x that b lacks or repeats.
  const axes = x.shape.flatMap((d, i) =>
    i < lead || (b.shape[i - lead] === 1 && d !== 1) ? [i] : [],
  );
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      if (axes.length === 0) return [dy, tf.clone(dy)]; // each input's gradient its own tensor
      const db = tf.sum(dy, axes);
      return [dy, db.rank === b.rank ? db : tf.reshape(db, b.shape)];
    },
  }));
  return op(x, b);
}
