import * as tf from '@tensorflow/tfjs-core';
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
