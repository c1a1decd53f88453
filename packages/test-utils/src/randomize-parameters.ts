import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tformer/nn';
import { randomFloats } from './nn-reference.js';

/**
 * Gives every parameter of `module` reproducible float32-exact random values in [-0.5, 0.5)
 * (LayerNorm/RMSNorm gains `gamma` in [0.5, 1.5)), so a forward check exercises biases and gains
 * that a fresh model leaves at 0 and 1.
 */
export function randomizeParameters(module: Module, seed: number): void {
  module.namedParameters().forEach(([name, v], i) => {
    const values = randomFloats(v.size, seed + i, 0.5);
    if (name.endsWith('gamma')) for (let j = 0; j < values.length; j++) values[j]! += 1;
    tf.tidy(() => v.assign(tf.tensor(Float32Array.from(values), v.shape)));
  });
}

/** max |a − b| as a number, read with `await data()`, leaving no tensor behind. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const max = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  try {
    return (await max.data())[0]!;
  } finally {
    max.dispose();
  }
}
