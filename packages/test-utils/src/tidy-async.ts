import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` for an async function, so a scope can `await` reads (`expectTensorsClose`,
 * `t.data()`): disposes every tensor `fn` made except those it returns. Await it before starting
 * another scope; two interleaved scopes would claim each other's tensors.
 *
 * @example
 * ```ts
 * await tidyAsync(async () => {
 *   await expectTensorsClose(tf.add(tf.ones([2]), 1), [2, 2]);
 * });
 * ```
 */
export async function tidyAsync<T extends tf.TensorContainer>(fn: () => Promise<T>): Promise<T> {
  tf.engine().startScope();
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    tf.engine().endScope(result);
  }
}
