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
 * x·σ(w) with w = x·(2k + 2k·0.044715·x²) and k = √(2/π), since ½(1 + tanh(z)) = σ(2z): six
 * kernels instead of eight (no `tf.pow(x, 3)`, the slowest kernel of a training step once, and no
 * separate ½x and 1 + t), and σ keeps its relative precision where 1 + tanh(z) cancels to 0.
 * A `tf.customGrad` op: only x and s = σ(w) are saved, and the gradient is the closed form
 * s + x·s(1 − s)·(2k + 6k·0.044715·x²) — tfjs' autodiff saved a copy of every intermediate
 * and took ~3× the kernels.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  geluTanhOp ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const w = tf.mul(xIn, tf.add(tf.mul(tf.square(xIn), 2 * GELU_K * GELU_C), 2 * GELU_K));
    const s = tf.sigmoid(w);
    save([xIn, s]);
    return {
      value: tf.mul(xIn, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
        const slope = tf.add(tf.mul(tf.square(xs), 6 * GELU_K * GELU_C), 2 * GELU_K); // dw/dx
        // s + x·s·(1 − s)·slope, with x·s the forward value.
        const local = tf.add(ss, tf.mul(tf.mul(tf.mul(xs, ss), tf.sub(1, ss)), slope));
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
