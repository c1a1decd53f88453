import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from './errors.js';

/** The most inputs one `tf.addN` kernel receives from {@link addMany}. */
export const ADD_MANY_CHUNK = 4;

/**
 * The elementwise sum of any number of tensors of one shape and dtype, computed as a tree of
 * `tf.addN` calls of at most {@link ADD_MANY_CHUNK} (4) inputs each: ⌈(n − 1) / 3⌉ kernels for n
 * tensors. Use it instead of `tf.addN` wherever the number of inputs is not bounded by the code
 * (one per parameter, per head, per key chunk).
 *
 * Why: tfjs-backend-webgpu 4.22 compiles `addN` into a single shader that binds every input as a
 * storage buffer and does not split it (its `concat`, and so `stack`, do split). An adapter allows
 * `maxStorageBuffersPerShaderStage` of them (8 by default, at most 10 on SwiftShader and 16 on
 * Dawn/llvmpipe); one `addN` of more inputs than that minus one (the output) fails validation and
 * returns wrong sums without an error. WebGL splits `addN` itself; cpu and wasm need no bound.
 *
 * Gradients flow as through `tf.addN`. The result is a new tensor (a clone for one input); the
 * inputs are not disposed.
 *
 * @example
 * ```ts
 * const total = addMany(Object.values(grads).map((g) => tf.sum(tf.square(g))));
 * ```
 */
export function addMany(tensors: readonly tf.Tensor[]): tf.Tensor {
  if (tensors.length === 0) {
    throw new ArgumentError('tensors', tensors, 'at least one tensor');
  }
  const first = tensors[0]!;
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.shape.join() !== first.shape.join()) {
      throw new ShapeError(`tensors[${i}]`, first.shape, t.shape, 'addMany needs one shape');
    }
  }
  if (tensors.length === 1) return tf.clone(first);
  return tf.tidy(() => {
    let level: tf.Tensor[] = tensors.slice();
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_MANY_CHUNK) {
        const chunk = level.slice(i, i + ADD_MANY_CHUNK);
        next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
      }
      level = next;
    }
    return level[0]!;
  });
}
