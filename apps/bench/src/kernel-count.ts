import * as tf from '@tensorflow/tfjs-core';

/**
 * The entries of a `tf.profile` that are kernel launches. The profile also lists every
 * `tf.customGrad` op as an entry of its own ("unnamed scope", or an op's name such as
 * "logSoftmax__op"), beside the kernels it runs; such a scope launches nothing itself, so counting
 * it counted those kernels' wrapper once more. A launch is a name registered as a kernel for the
 * active backend.
 */
export function launchedKernels<K extends { name: string }>(kernels: K[]): K[] {
  const backend = tf.getBackend();
  return kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined);
}
