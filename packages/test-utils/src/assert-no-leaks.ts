import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` and fails if it changed `tf.memory().numTensors`: every public function either hands
 * its tensors to the caller (who disposes them inside `fn`) or disposes all it made.
 * Returns what `fn` returned.
 */
export async function assertNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(
      `tensor leak: numTensors ${before} before, ${after} after (${after - before} leaked)`,
    );
  }
  return result;
}
