import * as tf from '@tensorflow/tfjs-core';
import { EpochSampler, type EpochSamplerState } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import type { DataSource, Json } from '@tformer/train';
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

/** Shuffled mini-batches, epoch after epoch, with a resumable position. */
export function shuffledBatches(
  examples: readonly EncodedExample[],
  batchSize: number,
  maxLength: number,
  seed: number,
): DataSource<TensorBatch> {
  const sampler = new EpochSampler(examples.length, batchSize, seed, createRng);
  return {
    next: () =>
      toTensors(
        sampler.next().map((i) => examples[i]!),
        maxLength,
      ),
    state: () => sampler.state() as unknown as Json,
    restore: (state) => sampler.restore(state as unknown as EpochSamplerState),
  };
}

/** The examples in order, `batchSize` at a time (the last batch may be smaller), wrapping around. */
export function sequentialBatches(
  examples: readonly EncodedExample[],
  batchSize: number,
  maxLength: number,
): DataSource<TensorBatch> {
  let position = 0;
  return {
    next() {
      const rows = examples.slice(position, position + batchSize);
      position = position + rows.length >= examples.length ? 0 : position + rows.length;
      return toTensors(rows, maxLength);
    },
    state: () => position,
    restore: (state) => {
      position = state as number;
    },
  };
}
