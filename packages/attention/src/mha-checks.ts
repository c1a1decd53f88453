import * as tf from '@tensorflow/tfjs-core';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';

/** The argument checks of `MultiHeadAttention`: typed errors naming the argument. */

/** `[B, T]` of a query `[B, T, dModel]`, or of a flat one `[B·T, dModel]` with `batchSize` B. */
export function checkQuery(query: tf.Tensor, dModel: number, batchSize?: number): [number, number] {
  if (query instanceof tf.Tensor && query.rank === 2 && batchSize !== undefined) {
    positiveInt('call.batchSize', batchSize);
    checkInput('query', query, dModel, undefined, undefined, 2);
    const rows = query.shape[0]!;
    if (rows % batchSize !== 0) {
      throw new AttentionShapeError('query', `[B·T, ${dModel}] with B = ${batchSize}`, query.shape);
    }
    return [batchSize, rows / batchSize];
  }
  checkInput('query', query, dModel);
  return query.shape as [number, number];
}

export function checkInput(
  name: string,
  x: tf.Tensor,
  dim: number,
  batch?: number,
  length?: number,
  rank = 3,
): void {
  if (!(x instanceof tf.Tensor)) throw new AttentionArgumentError(name, 'a tf.Tensor', x);
  // An int32 or bool input would be cast silently by the projections: say so instead.
  if (x.dtype !== 'float32')
    throw new AttentionArgumentError(name, 'a float32 tensor', `a ${x.dtype} tensor`);
  const ok =
    x.rank === rank &&
    x.shape[rank - 1] === dim &&
    (batch === undefined || x.shape[0] === batch) &&
    (length === undefined || x.shape[1] === length);
  if (!ok)
    throw new AttentionShapeError(
      name,
      rank === 2
        ? `[B·T, ${dim}]`
        : `[${batch ?? 'B'}, ${length ?? (name === 'query' ? 'T' : 'S')}, ${dim}]`,
      x.shape,
    );
}

export function checkPositions(positions: tf.Tensor, position: string, B: number, T: number): void {
  if (position !== 'rope') {
    throw new AttentionArgumentError(
      'call.positions',
      "undefined unless position is 'rope'",
      position,
    );
  }
  if (positions.dtype !== 'int32') {
    throw new AttentionArgumentError('call.positions.dtype', "'int32'", positions.dtype);
  }
  const [rows, length] = positions.shape;
  if (positions.rank !== 2 || (rows !== 1 && rows !== B) || length !== T) {
    throw new AttentionShapeError('call.positions', `[${B} or 1, ${T}]`, positions.shape);
  }
}

export function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new AttentionArgumentError(name, 'a positive integer', value);
}
