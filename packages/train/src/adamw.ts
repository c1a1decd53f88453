import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import type { Optimizer } from './optimizer.js';
import { checkInteger, checkNumber, shapeString } from './validate.js';

/** Options of {@link AdamW} (and {@link Adam}). */
export interface AdamWOptions {
  /** β₁, decay of the first moment. Default 0.9. */
  beta1?: number;
  /** β₂, decay of the second moment. Default 0.999. */
  beta2?: number;
  /** ε added to √v̂. Default 1e-8. */
  epsilon?: number;
  /** λ, weight decay per unit learning rate. Default 0.01 for AdamW, 0 for Adam. */
  weightDecay?: number;
  /**
   * Which parameters decay, by dotted name and variable. Default {@link defaultDecayFilter}: only
   * matrices, never biases, norm gains or embeddings.
   */
  decayFilter?: (name: string, variable: tf.Variable) => boolean;
}

/**
 * The default decay filter: weight decay pulls weights toward zero, which suits the matrices of
 * linear maps but hurts vectors that set a scale or offset (biases, LayerNorm/RMSNorm gains,
 * rank < 2) and embedding tables, whose rows for rare tokens would shrink between their updates
 * (the GPT-2/nanoGPT convention).
 */
export function defaultDecayFilter(name: string, variable: tf.Variable): boolean {
  return variable.rank >= 2 && !/(^|\.)[^.]*(embed|norm|bias)[^.]*(\.|$)/i.test(name);
}

/** A non-trainable zero variable shaped like `variable` (tidy frees the temporary zeros). */
function zeroMoment(variable: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(variable.shape, 'float32'), false));
}

interface Slot {
  name: string;
  variable: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decays: boolean;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019), with PyTorch's update rule:
 *
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
 *   p ← p·(1 − lr·λ) − lr·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * The moments are `tf.Variable`s it owns (freed by {@link AdamW.dispose}) and updated in place:
 * each step is a handful of elementwise ops per parameter inside one `tf.tidy`, so the number
 * of tensors stays constant however long training runs.
 *
 * @param parameters `[dottedName, variable]` pairs, e.g. `model.namedParameters()`; the names
 *   key the moments in checkpoints and drive the decay filter.
 * @param options β₁, β₂, ε, λ, decay filter.
 *
 * @example
 * ```ts
 * const optimizer = new AdamW(model.namedParameters(), { weightDecay: 0.1 });
 * const { value, grads } = tf.variableGrads(() => loss(model, batch));
 * optimizer.step(grads, 3e-4);
 * ```
 */
export class AdamW implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly slots: Slot[];
  private readonly byEngineName = new Map<string, Slot>();
  private t = 0;
  /** Decoupled decay (AdamW) rather than decay added to the gradient as L2 ({@link Adam}). */
  protected readonly decoupled: boolean = true;

  constructor(
    parameters: ReadonlyArray<readonly [string, tf.Variable]>,
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    checkNumber('options.beta1', this.beta1, { min: 0, max: 1 });
    checkNumber('options.beta2', this.beta2, { min: 0, max: 1 });
    checkNumber('options.epsilon', this.epsilon, { min: 0 });
    checkNumber('options.weightDecay', this.weightDecay, { min: 0 });
    const decayFilter = options.decayFilter ?? defaultDecayFilter;
    this.slots = parameters
      .filter(([, variable]) => variable.trainable)
      .map(([name, variable]) => ({
        name,
        variable,
        m: zeroMoment(variable),
        v: zeroMoment(variable),
        decays: this.weightDecay > 0 && decayFilter(name, variable),
      }));
    for (const slot of this.slots) this.byEngineName.set(slot.variable.name, slot);
  }

  get iterations(): number {
    return this.t;
  }

  /** Name, β₁, β₂, ε, λ, decay kind and the decayed parameters (the filter itself is code). */
  getConfig(): Record<string, string | number | boolean | string[]> {
    const { beta1, beta2, epsilon, weightDecay } = this;
    return {
      name: this.decoupled ? 'AdamW' : 'Adam', // not constructor.name: minifiers rename classes
      beta1,
      beta2,
      epsilon,
      weightDecay,
      decoupledDecay: this.decoupled,
      decayedParameters: this.decayedParameterNames(),
    };
  }

  /** Dotted names of the parameters that weight decay applies to. */
  decayedParameterNames(): string[] {
    return this.slots.filter((s) => s.decays).map((s) => s.name);
  }

  /**
   * One update at learning rate `learningRate`.
   * @param grads gradients keyed by `variable.name`, as returned by `tf.variableGrads`; not disposed.
   */
  step(grads: tf.NamedTensorMap, learningRate: number): void {
    checkNumber('learningRate', learningRate, { min: 0 });
    for (const [key, grad] of Object.entries(grads)) {
      const slot = this.byEngineName.get(key);
      if (!slot)
        throw new InvalidArgumentError(
          `grads['${key}']`,
          'a gradient of a parameter given to the optimizer',
          'an unknown variable name',
        );
      if (grad.shape.join() !== slot.variable.shape.join()) {
        throw new InvalidArgumentError(
          `grads['${key}'] (${slot.name})`,
          `shape ${shapeString(slot.variable.shape)}`,
          `shape ${shapeString(grad.shape)}`,
        );
      }
    }
    this.t += 1;
    const { beta1, beta2, epsilon } = this;
    // Bias corrections folded into two host scalars, so the per-element work stays minimal.
    const stepSize = learningRate / (1 - beta1 ** this.t);
    const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** this.t);
    tf.tidy(() => {
      for (const slot of this.slots) {
        const rawGrad = grads[slot.variable.name];
        if (!rawGrad) continue;
        const { variable, m, v } = slot;
        const g =
          slot.decays && !this.decoupled
            ? tf.add(rawGrad, tf.mul(variable, this.weightDecay))
            : rawGrad;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.mul(tf.sqrt(v), invSqrtBc2), epsilon);
        const update = tf.mul(tf.div(m, denom), stepSize);
        const decayed =
          slot.decays && this.decoupled
            ? tf.mul(variable, 1 - learningRate * this.weightDecay)
            : variable;
        variable.assign(tf.sub(decayed, update));
      }
    });
  }

  /** Moments by name: `m.<param>` and `v.<param>` (references: do not dispose). */
  stateDict(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    for (const slot of this.slots) {
      state.set(`m.${slot.name}`, slot.m);
      state.set(`v.${slot.name}`, slot.v);
    }
    return state;
  }

  /**
   * Restores moments and the step count saved by {@link AdamW.stateDict}: every moment must be
   * present with the parameter's shape. Values are copied; `state` stays the caller's.
   */
  loadStateDict(
    state: Map<string, tf.Tensor> | Record<string, tf.Tensor>,
    iterations: number,
  ): void {
    checkInteger('iterations', iterations);
    const lookup = state instanceof Map ? state : new Map(Object.entries(state));
    const expected = this.stateDict();
    for (const [key, target] of expected) {
      const value = lookup.get(key);
      if (!value)
        throw new InvalidArgumentError(
          `state['${key}']`,
          `a tensor of shape ${shapeString(target.shape)}`,
          'missing',
        );
      if (value.shape.join() !== target.shape.join()) {
        throw new InvalidArgumentError(
          `state['${key}']`,
          `shape ${shapeString(target.shape)}`,
          `shape ${shapeString(value.shape)}`,
        );
      }
    }
    for (const key of lookup.keys()) {
      if (!expected.has(key))
        throw new InvalidArgumentError(
          `state['${key}']`,
          'a moment of a known parameter',
          'an unknown key',
        );
    }
    for (const [key, target] of expected) {
      tf.tidy(() => (target as tf.Variable).assign(tf.cast(lookup.get(key)!, 'float32')));
    }
    this.t = iterations;
  }

  dispose(): void {
    for (const slot of this.slots) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.slots.length = 0;
    this.byEngineName.clear();
  }
}
