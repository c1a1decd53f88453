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
 * A `tf.customGrad` op: only x and t = tanh(·) are saved, and the gradient is the closed form
 * ½(1 + t) + ½x(1 − t²)(k + 3k·0.044715·x²) — tfjs' autodiff saved a copy of every
 * intermediate and took ~3× the kernels.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  geluTanhOp ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const t = tf.tanh(tf.mul(xIn, tf.add(tf.mul(tf.square(xIn), GELU_K * GELU_C), GELU_K)));
    save([xIn, t]);
    return {
      value: tf.mul(tf.mul(xIn, 0.5), tf.add(t, 1)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ts] = saved as [tf.Tensor, tf.Tensor];
        const slope = tf.add(tf.mul(tf.square(xs), 3 * GELU_K * GELU_C), GELU_K);
        const sech2 = tf.sub(1, tf.square(ts));
        const local = tf.add(
          tf.add(tf.mul(ts, 0.5), 0.5),
          tf.mul(tf.mul(xs, 0.5), tf.mul(sech2, slope)),
        );
        return tf.mul(dy, local);
      },
    };
  }) as unknown as (x: tf.Tensor) => tf.Tensor;
  return geluTanhOp(x);
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
let geluTanhOp: ((x: tf.Tensor) => tf.Tensor) | undefined;

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
