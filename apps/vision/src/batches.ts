import * as tf from '@tensorflow/tfjs-core';
import { EpochSampler, type EpochSamplerState } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import type { DataSource, Json } from '@tformer/train';
import type { Image } from './shapes.js';

/** Images `[B, size, size, 1]` scaled to [−1, 1] (ViT's mean 0.5, std 0.5) and class ids `[B]`. */
export interface TensorBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
}

export function toTensors(images: readonly Image[], size: number): TensorBatch {
  const pixels = new Float32Array(images.length * size * size);
  images.forEach((image, b) => {
    for (let i = 0; i < size * size; i++) pixels[b * size * size + i] = 2 * image.pixels[i]! - 1;
  });
  return {
    images: tf.tensor4d(pixels, [images.length, size, size, 1]),
    labels: tf.tensor1d(
      images.map((image) => image.label),
      'int32',
    ),
  };
}

/** Shuffled mini-batches, epoch after epoch, with a resumable position. */
export function shuffledBatches(
  images: readonly Image[],
  batchSize: number,
  size: number,
  seed: number,
): DataSource<TensorBatch> {
  const sampler = new EpochSampler(images.length, batchSize, seed, createRng);
  return {
    next: () =>
      toTensors(
        sampler.next().map((i) => images[i]!),
        size,
      ),
    state: () => sampler.state() as unknown as Json,
    restore: (state) => sampler.restore(state as unknown as EpochSamplerState),
  };
}

/** The images in order, `batchSize` at a time (the last batch may be smaller), wrapping around. */
export function sequentialBatches(
  images: readonly Image[],
  batchSize: number,
  size: number,
): DataSource<TensorBatch> {
  let position = 0;
  return {
    next() {
      const rows = images.slice(position, position + batchSize);
      position = position + rows.length >= images.length ? 0 : position + rows.length;
      return toTensors(rows, size);
    },
    state: () => position,
    restore: (state) => {
      position = state as number;
    },
  };
}
