import * as tf from '@tensorflow/tfjs-core';
import { PAD } from './vocab.js';

/** An example as ids (at most `maxLength`) and its class id. */
export interface EncodedExample {
  ids: number[];
  label: number;
}

/** Token ids `[B, maxLength]` padded with [PAD], and class ids `[B]`. */
export interface TensorBatch {
  ids: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** Pads every row to `maxLength`, as the Keras example's fixed `maxlen`. */
export function toTensors(rows: readonly EncodedExample[], maxLength: number): TensorBatch {
  const ids = new Int32Array(rows.length * maxLength).fill(PAD);
  rows.forEach((row, b) => {
    ids.set(row.ids, b * maxLength);
  });
  return {
    ids: tf.tensor2d(ids, [rows.length, maxLength], 'int32'),
    labels: tf.tensor1d(
      rows.map((r) => r.label),
      'int32',
    ),
  };
}
