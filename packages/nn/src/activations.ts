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
 * A `tf.customGrad` op that saves s, a = 2k + 2k·0.044715·x² and the value y = x·s, so the closed
 * form of the gradient, s + y·(1 − s)·(3a − 4k) (3a − 4k = dw/dx), takes 7 kernels; recomputing
 * x², dw/dx and x·s took 9, and each save is one `Identity` (no copy on tfjs-node). tfjs' autodiff
 * saved a copy of every intermediate and took ~3× the kernels.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  geluTanhOp ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const a = tf.add(tf.mul(tf.square(xIn), 2 * GELU_K * GELU_C), 2 * GELU_K);
    const s = tf.sigmoid(tf.mul(xIn, a));
    const y = tf.mul(xIn, s);
    save([s, a, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ss, as, ys] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const slope = tf.sub(tf.mul(as, 3), 4 * GELU_K); // dw/dx = 2k + 6k·0.044715·x²
        const local = tf.add(ss, tf.mul(tf.mul(ys, tf.sub(1, ss)), slope));
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
