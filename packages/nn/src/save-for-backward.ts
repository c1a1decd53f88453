import * as tf from '@tensorflow/tfjs-core';

/**
 * Saves `tensors` for the backward pass except variables, which are returned as they are:
 * a saved tensor is an `Identity` copy (on wasm a memory copy of the whole weight), and a
 * variable's value does not change between the forward and backward pass of one step.
 * `restore` gives back the full list in the original order.
 */
export function saveExceptVariables(
  save: tf.GradSaveFunc,
  tensors: tf.Tensor[],
): (saved: tf.Tensor[]) => tf.Tensor[] {
  const isVariable = tensors.map((t) => t instanceof tf.Variable);
  save(tensors.filter((_, i) => !isVariable[i]));
  return (saved) => {
    let next = 0;
    return tensors.map((t, i) => (isVariable[i] ? t : saved[next++]!));
  };
}
