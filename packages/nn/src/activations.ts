import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from './errors.js';

/** ReLU, max(0, x): the paper's activation. */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/** Exact GELU: x·Φ(x) = ½x(1 + erf(x/√2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/**
 * GELU, tanh approximation (GPT-2): ½x(1 + tanh(√(2/π)(x + 0.044715x³))), computed as
 * ½x(1 + tanh(x·(k + k·0.044715·x²))) with k = √(2/π): `tf.pow(x, 3)` was the slowest kernel of a
 * training step (a generic power, cast inputs, and a heavier gradient), x·x is one multiply.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const k = Math.sqrt(2 / Math.PI);
  return tf.tidy(() => {
    const inner = tf.mul(x, tf.add(tf.mul(tf.square(x), k * 0.044715), k));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** SiLU (swish): x·σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** The identity (a new tensor). */
export function identity(x: tf.Tensor): tf.Tensor {
  return tf.clone(x);
}

export const ACTIVATIONS = {
  relu,
  gelu,
  gelu_tanh: geluTanh,
  silu,
  linear: identity,
} as const;

export type ActivationName = keyof typeof ACTIVATIONS;

/** The activation function of a name; {@link ArgumentError} for an unknown one. */
export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  const fn = (ACTIVATIONS as Record<string, (x: tf.Tensor) => tf.Tensor>)[name];
  if (!fn)
    throw new ArgumentError('activation', name, `one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  return fn;
}
