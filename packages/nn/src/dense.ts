import type * as tf from '@tensorflow/tfjs-core';
import { glorotUniform, type Initializer, zeros } from './initializers.js';
import { linear } from './linear.js';
import { Module } from './module.js';
import { type RngOption, resolveRng } from './rng.js';
import { assertInt } from './shape.js';

export interface DenseOptions {
  /** Size of the input's last axis. */
  inputDim: number;
  /** Size of the output's last axis. */
  outputDim: number;
  /** Add a bias `[outputDim]` (default true). */
  useBias?: boolean;
  /** Default: Glorot uniform, as Keras. */
  kernelInitializer?: Initializer;
  /** Default: zeros. */
  biasInitializer?: Initializer;
  /** Generator (or seed) for the initial values; default: a random seed. */
  rng?: RngOption;
  /** Whether its parameters are trainable (default true). */
  trainable?: boolean;
}

/**
 * A fully connected layer: `y = x · kernel + bias`, kernel `[inputDim, outputDim]` (parameters
 * `kernel`, `bias`). Works on `[..., inputDim]`; see {@link linear} for why it is fast on wasm.
 */
export class Dense extends Module {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(options: DenseOptions) {
    super();
    assertInt(options.inputDim, 'inputDim');
    assertInt(options.outputDim, 'outputDim');
    this.inputDim = options.inputDim;
    this.outputDim = options.outputDim;
    const rng = resolveRng(options.rng);
    const trainable = options.trainable ?? true;
    const kernelInit = options.kernelInitializer ?? glorotUniform();
    this.kernel = this.addParameter('kernel', kernelInit([this.inputDim, this.outputDim], rng), {
      trainable,
    });
    this.bias =
      (options.useBias ?? true)
        ? this.addParameter('bias', (options.biasInitializer ?? zeros())([this.outputDim], rng), {
            trainable,
          })
        : undefined;
  }

  /** `[..., inputDim]` → `[..., outputDim]`. */
  apply(x: tf.Tensor): tf.Tensor {
    return linear(x, this.kernel, this.bias);
  }
}
