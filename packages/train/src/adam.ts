import type * as tf from '@tensorflow/tfjs-core';
import { AdamW, type AdamWOptions } from './adamw.js';

/**
 * Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015). Its optional
 * `weightDecay` is the classic L2 penalty added to the gradient before the moments (PyTorch's
 * `Adam(weight_decay=...)`), which Loshchilov & Hutter showed interacts badly with the adaptive
 * scaling; prefer {@link AdamW} for regularisation. Default `weightDecay` is 0.
 *
 * @param parameters `[dottedName, variable]` pairs, e.g. `model.namedParameters()`.
 * @param options β₁, β₂, ε, λ (L2), decay filter.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(model.namedParameters(), { beta2: 0.98, epsilon: 1e-9 }); // the paper's
 * ```
 */
export class Adam extends AdamW {
  protected override readonly decoupled: boolean = false;

  constructor(
    parameters: ReadonlyArray<readonly [string, tf.Variable]>,
    options: AdamWOptions = {},
  ) {
    super(parameters, { ...options, weightDecay: options.weightDecay ?? 0 });
  }
}
