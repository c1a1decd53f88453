import * as tf from '@tensorflow/tfjs-core';
import { type ActivationName, activation, silu } from './activations.js';
import { Dense } from './dense.js';
import { ArgumentError } from './errors.js';
import type { Initializer } from './initializers.js';
import { Module } from './module.js';
import { normalize } from './normalize.js';
import { type Rng, type RngOption, resolveRng } from './rng.js';
import { assertInt, assertLastDim } from './shape.js';

export interface LayerNormOptions {
  /** Size of the normalised (last) axis: the model width. */
  dModel: number;
  /** Added to the variance; default 1e-6, as in the Keras Transformer block. */
  eps?: number;
  /** Learn a gain `gamma` (default true). */
  useScale?: boolean;
  /** Learn a bias `beta` (default true). */
  useBias?: boolean;
}

/**
 * Layer normalisation over the last axis: (x − mean) / √(var + eps) · gamma + beta, with the
 * biased variance (parameters `gamma` `[dModel]`, `beta` `[dModel]`).
 */
export class LayerNorm extends Module {
  readonly dModel: number;
  readonly eps: number;
  readonly gamma: tf.Variable | undefined;
  readonly beta: tf.Variable | undefined;

  constructor(options: LayerNormOptions) {
    super();
    assertInt(options.dModel, 'dModel');
    this.dModel = options.dModel;
    this.eps = checkEps(options.eps ?? 1e-6);
    this.gamma =
      (options.useScale ?? true) ? this.addParameter('gamma', tf.ones([this.dModel])) : undefined;
    this.beta =
      (options.useBias ?? true) ? this.addParameter('beta', tf.zeros([this.dModel])) : undefined;
  }

  /** `[..., dModel]` → `[..., dModel]`. */
  apply(x: tf.Tensor): tf.Tensor {
    assertLastDim(x, this.dModel, 'x');
    return normalize(x, this.gamma, this.beta, this.eps, true);
  }
}

export interface RMSNormOptions {
  /** Size of the normalised (last) axis: the model width. */
  dModel: number;
  /** Added to the mean square; default 1e-6. */
  eps?: number;
}

/** RMS normalisation over the last axis: x / √(mean(x²) + eps) · gamma (parameter `gamma`). */
export class RMSNorm extends Module {
  readonly dModel: number;
  readonly eps: number;
  readonly gamma: tf.Variable;

  constructor(options: RMSNormOptions) {
    super();
    assertInt(options.dModel, 'dModel');
    this.dModel = options.dModel;
    this.eps = checkEps(options.eps ?? 1e-6);
    this.gamma = this.addParameter('gamma', tf.ones([this.dModel]));
  }

  /** `[..., dModel]` → `[..., dModel]`. */
  apply(x: tf.Tensor): tf.Tensor {
    assertLastDim(x, this.dModel, 'x');
    return normalize(x, this.gamma, undefined, this.eps, false);
  }
}

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
  /** Generator (or seed) for the masks; default: a random seed. */
  rng?: RngOption;
}

/**
 * Inverted dropout: in training mode each element is zeroed with probability `rate` and the
 * others scaled by 1/(1 − rate); in eval mode (or with rate 0) the identity. Masks are drawn from
 * its seeded {@link Rng} on the host, so the same seed gives the same masks on every backend
 * (each call advances the generator). The result is always a new tensor owned by the caller.
 * The generator is registered as `rng`, so `model.randomState()` lists it as e.g.
 * `blocks.0.dropout.rng`.
 */
export class Dropout extends Module {
  readonly rate: number;
  readonly rng: Rng;

  constructor(options: DropoutOptions) {
    super();
    const { rate } = options;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new ArgumentError('rate', rate, 'a number in [0, 1)');
    }
    this.rate = rate;
    // Registered so that `randomState()` saves it: a resumed run then draws the same masks.
    this.rng = this.addRng('rng', resolveRng(options.rng));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.active ? this.applyOrPass(x) : tf.clone(x);
  }

  /** Whether {@link apply} changes anything: training mode with a rate above 0. */
  get active(): boolean {
    return this.training && this.rate > 0;
  }

  /**
   * {@link apply} for use inside a `tf.tidy` that owns `x`: when inactive it returns `x` itself,
   * not a copy. Layers call this one: each copy was an `Identity` kernel in the forward pass and a
   * `Cast` in the backward pass of every training step.
   */
  applyOrPass(x: tf.Tensor): tf.Tensor {
    if (!this.active) return x;
    const mask = this.rng.keepMask(x.size, this.rate);
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }
}

function checkEps(eps: number): number {
  if (typeof eps !== 'number' || !(eps > 0)) throw new ArgumentError('eps', eps, 'a number > 0');
  return eps;
}

interface FeedForwardBase {
  /** Model width (input and output size). */
  dModel: number;
  /** Inner width (the paper's d_ff). */
  dFF: number;
  /** Biases on the projections (default: true for FeedForward, false for SwiGLU). */
  useBias?: boolean;
  /** Initializer of the inner projections' kernels (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /**
   * Initializer of the output projection's kernel, e.g. `scaledResidualNormal(numLayers)` as
   * GPT-2 (default: `kernelInitializer`).
   */
  outputInitializer?: Initializer;
  /** Generator (or seed) for the initial values; default: a random seed. */
  rng?: RngOption;
}

export interface FeedForwardOptions extends FeedForwardBase {
  /** Default `relu`, as in the paper. */
  activation?: ActivationName;
  /** Dropout rate after the activation (default 0). */
  dropout?: number;
}

/**
 * The Transformer's position-wise feed-forward network: down(dropout(act(up(x)))), children `up`
 * `[dModel, dFF]` and `down` `[dFF, dModel]`.
 */
export class FeedForward extends Module {
  readonly up: Dense;
  readonly down: Dense;
  readonly dropout: Dropout;
  readonly activation: ActivationName;

  constructor(options: FeedForwardOptions) {
    super();
    const rng = resolveRng(options.rng);
    const useBias = options.useBias ?? true;
    this.activation = options.activation ?? 'relu';
    activation(this.activation); // validates the name
    this.up = this.addModule('up', ffnDense(options, useBias, rng, 'inner'));
    this.down = this.addModule('down', ffnDense(options, useBias, rng, 'output'));
    this.dropout = this.addModule(
      'dropout',
      new Dropout({ rate: options.dropout ?? 0, rng: rng.fork() }),
    );
  }

  /** `[..., dModel]` → `[..., dModel]`. */
  apply(x: tf.Tensor): tf.Tensor {
    const act = activation(this.activation);
    return tf.tidy(() => this.down.apply(this.dropout.applyOrPass(act(this.up.apply(x)))));
  }
}

export type SwiGLUOptions = FeedForwardBase;

/**
 * One projection of a feed-forward block, with its own fork of `rng`: `inner` maps dModel →
 * dFF with `kernelInitializer`; `output` maps back with `outputInitializer` (or the same).
 */
function ffnDense(
  options: FeedForwardBase,
  useBias: boolean,
  rng: Rng,
  role: 'inner' | 'output',
): Dense {
  const { dModel, dFF, kernelInitializer, outputInitializer } = options;
  return new Dense({
    inputDim: role === 'inner' ? dModel : dFF,
    outputDim: role === 'inner' ? dFF : dModel,
    useBias,
    kernelInitializer:
      role === 'inner' ? kernelInitializer : (outputInitializer ?? kernelInitializer),
    rng: rng.fork(),
  });
}

/**
 * The SwiGLU feed-forward (Shazeer 2020, as in LLaMA): down(silu(gate(x)) ⊙ up(x)), children
 * `gate` and `up` `[dModel, dFF]`, `down` `[dFF, dModel]`, no biases by default.
 */
export class SwiGLU extends Module {
  readonly gate: Dense;
  readonly up: Dense;
  readonly down: Dense;

  constructor(options: SwiGLUOptions) {
    super();
    const rng = resolveRng(options.rng);
    const useBias = options.useBias ?? false;
    this.gate = this.addModule('gate', ffnDense(options, useBias, rng, 'inner'));
    this.up = this.addModule('up', ffnDense(options, useBias, rng, 'inner'));
    this.down = this.addModule('down', ffnDense(options, useBias, rng, 'output'));
  }

  /** `[..., dModel]` → `[..., dModel]`. */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.down.apply(tf.mul(silu(this.gate.apply(x)), this.up.apply(x))));
  }
}
