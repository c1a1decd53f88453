import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from './errors.js';
import type { Rng } from './rng.js';

/**
 * Makes a new float32 tensor of `shape`, drawing any randomness from `rng` (on the host, so the
 * values depend only on the generator's state, never on the backend).
 */
export type Initializer = (shape: readonly number[], rng: Rng) => tf.Tensor;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** All zeros. */
export function zeros(): Initializer {
  return (shape) => tf.zeros(shape as number[]);
}

/** All ones. */
export function ones(): Initializer {
  return (shape) => tf.ones(shape as number[]);
}

/** Every element `value`. */
export function constant(value: number): Initializer {
  return (shape) => tf.fill(shape as number[], value);
}

/** Uniform in [low, high). */
export function uniform({
  low = -0.05,
  high = 0.05,
}: {
  low?: number;
  high?: number;
} = {}): Initializer {
  if (!(high > low)) throw new ArgumentError('uniform.high', high, `a number > low (${low})`);
  return (shape, rng) => tf.tensor(rng.uniformArray(size(shape), low, high), shape as number[]);
}

/** Normal(mean, stddev²); the default stddev 0.02 is GPT-2's initialisation of weights. */
export function normal({
  mean = 0,
  stddev = 0.02,
}: {
  mean?: number;
  stddev?: number;
} = {}): Initializer {
  if (!(stddev >= 0)) throw new ArgumentError('normal.stddev', stddev, 'a number ≥ 0');
  return (shape, rng) => tf.tensor(rng.normalArray(size(shape), mean, stddev), shape as number[]);
}

/**
 * GPT-2's scaled residual initialisation: the output projections that write into the residual
 * stream get Normal(0, (stddev / √(2·numLayers))²), since each of the `numLayers` blocks adds two
 * residual branches (attention and MLP).
 */
export function scaledResidualNormal(
  numLayers: number,
  { stddev = 0.02 }: { stddev?: number } = {},
): Initializer {
  if (!Number.isInteger(numLayers) || numLayers < 1) {
    throw new ArgumentError('scaledResidualNormal.numLayers', numLayers, 'an integer ≥ 1');
  }
  return normal({ stddev: stddev / Math.sqrt(2 * numLayers) });
}

/**
 * Fan-in and fan-out as Keras computes them: `[in, out]` for a matrix; for rank > 2 the leading
 * axes are the receptive field; a vector has fan-in = fan-out = its length.
 */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = size(shape.slice(0, -2));
  return {
    fanIn: shape[shape.length - 2]! * receptive,
    fanOut: shape[shape.length - 1]! * receptive,
  };
}

/**
 * Glorot (Xavier) uniform, as Keras' default kernel initializer:
 * U(−limit, limit) with limit = √(6 / (fanIn + fanOut)).
 */
export function glorotUniform(): Initializer {
  return (shape, rng) => {
    const { fanIn, fanOut } = computeFans(shape);
    const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
    return tf.tensor(rng.uniformArray(size(shape), -limit, limit), shape as number[]);
  };
}
