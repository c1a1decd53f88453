import * as tf from '@tensorflow/tfjs-core';

/** Backends whose `GatherND` copies whole rows faster than their `GatherV2`. */
const ROW_GATHER_ND = new Set(['wasm', 'tensorflow']);

/**
 * `x ↦ x[rows]` along axis 0, the integer `rows` laid out as `shape` (default `[rows.length]`):
 * the result is `[...shape, ...x.shape.slice(1)]`. On wasm and tfjs-node it is `tf.gatherND` over
 * whole rows: tfjs-wasm's `GatherV2` indexes every element (a KV cache's rows took 3–45× as long,
 * a decoding step's embedding rows ~4×; node's ~1.1–1.2×); on cpu `tf.gather` is 1.4–5× the
 * faster (docs/benchmarks.md). The index is uploaded once, when the picker is made: make and use
 * it inside a tidy.
 *
 * @example
 * ```ts
 * const pick = rowPicker([2, 0, 0]);
 * const [k, v] = [pick(keys), pick(values)]; // rows 2, 0, 0 of each
 * ```
 */
export function rowPicker(
  rows: readonly number[],
  shape: number[] = [rows.length],
): (x: tf.Tensor) => tf.Tensor {
  if (ROW_GATHER_ND.has(tf.getBackend())) {
    const index = tf.tensor([...rows], [...shape, 1], 'int32'); // [...shape, 1]
    return (x) => tf.gatherND(x, index);
  }
  const index = tf.tensor([...rows], shape, 'int32'); // shape
  return (x) => tf.gather(x, index, 0);
}
