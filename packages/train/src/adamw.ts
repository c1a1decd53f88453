import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import type { Optimizer } from './optimizer.js';
import {
  assignPacked,
  concatRows,
  type Group,
  groupSlots,
  packedParameters,
  packGradients,
  type Slot,
  splitRows,
} from './parameter-groups.js';
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
  /**
   * The most elements one parameter group holds (a parameter larger than this forms its own).
   * Default: unlimited, except 1 (every parameter on its own) when the optimizer is made on
   * wasm: tfjs-backend-wasm 4.22 splits a buffer by copying all of it out of the heap once per
   * piece, so there the copies cost more than the kernels they save (measured in
   * docs/benchmarks.md, section "Kernels per step").
   */
  maxGroupElements?: number;
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

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019), with PyTorch's update rule:
 *
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
 *   p ← p·(1 − lr·λ) − lr·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * Parameters of the same rank and trailing dimensions form a group (decayed and plain ones
 * together: the decay is a per-row factor then) whose moments are held
 * stacked in one pair of `tf.Variable`s (owned, freed by {@link AdamW.dispose}, updated in place).
 * A step concatenates each group's parameters (and gradients, unless they come packed by
 * {@link AdamW.packGradients}), runs the elementwise update once over the group and splits the
 * result back: a dozen kernels per group instead of per parameter, with the same values as the
 * update run per parameter (the elementwise operations are identical). The number of tensors
 * stays constant however long training runs.
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
  private readonly groups: Group[];
  private readonly byEngineName = new Map<string, Slot>();
  private readonly byPackedKey = new Map<string, Group>();
  /** Per-parameter moments split out for {@link AdamW.stateDict}, until the state changes. */
  private exported: Map<string, tf.Tensor> | undefined;
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
    const maxGroup = options.maxGroupElements;
    if (maxGroup !== undefined && !(maxGroup >= 1))
      throw new InvalidArgumentError(
        'options.maxGroupElements',
        'a number ≥ 1 (Infinity: no limit)',
        String(maxGroup),
      );
    const decayFilter = options.decayFilter ?? defaultDecayFilter;
    ({ slots: this.slots, groups: this.groups } = groupSlots(
      parameters
        .filter(([, variable]) => variable.trainable)
        .map(([name, variable]) => ({
          name,
          variable,
          decays: this.weightDecay > 0 && decayFilter(name, variable),
        })),
      maxGroup ?? (tf.getBackend() === 'wasm' ? 1 : Number.POSITIVE_INFINITY),
    ));
    for (const slot of this.slots) this.byEngineName.set(slot.variable.name, slot);
    for (const group of this.groups) this.byPackedKey.set(group.key, group);
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
   * The gradients packed into one buffer per parameter group (parameters of the same rank and
   * trailing dimensions, stacked along axis 0), a map that {@link AdamW.step},
   * `clipByGlobalNorm` and `GradientAccumulator` take like the per-parameter one. Clipping and
   * updating a packed map launch a few kernels per group instead of a few per parameter; the
   * results are the same (clipping sums squares in another order: equal to float32 rounding).
   * Gradients of a group with a missing member stay per parameter. When no group holds more
   * than one parameter there is nothing to pack and `grads` itself is returned.
   * @param grads gradients keyed by `variable.name`, as `tf.variableGrads` returns them; not
   *   disposed. The caller owns the result.
   */
  packGradients(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    this.check(grads);
    if (this.groups.every((g) => g.slots.length === 1 && g.slots[0]!.variable.rank > 0))
      return grads;
    return packGradients(this.groups, grads);
  }

  /**
   * One update at learning rate `learningRate`.
   * @param grads gradients keyed by `variable.name`, as returned by `tf.variableGrads`, or packed
   *   by {@link AdamW.packGradients}; not disposed.
   */
  step(grads: tf.NamedTensorMap, learningRate: number): void {
    checkNumber('learningRate', learningRate, { min: 0 });
    this.check(grads);
    this.t += 1;
    this.dropExported();
    const { beta1, beta2 } = this;
    // Bias corrections folded into two host scalars, so the per-element work stays minimal:
    // lr/bc₁ · m/(√v/√bc₂ + ε) = (lr·√bc₂/bc₁) · m/(√v + ε·√bc₂), one kernel fewer per group.
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.t);
    const constants = {
      stepSize: (learningRate * sqrtBc2) / (1 - beta1 ** this.t),
      epsilon: this.epsilon * sqrtBc2,
      learningRate,
    };
    tf.tidy(() => {
      for (const group of this.groups) {
        const packed = grads[group.key];
        const members = group.slots.map((s) => grads[s.variable.name]);
        if (packed || members.every((g) => g !== undefined)) {
          const g = packed ?? concatRows(group, members as tf.Tensor[]);
          const p = packedParameters(group);
          const next = this.update(
            this.groupDecay(group, learningRate),
            p,
            g,
            group.m,
            group.v,
            constants,
          );
          group.m.assign(next.m);
          group.v.assign(next.v);
          assignPacked(group, next.p);
        } else if (members.some((g) => g !== undefined)) {
          this.updatePart(group, members, constants);
        }
      }
    });
  }

  /**
   * A group of which only some parameters have gradients: each of those is updated from its
   * rows of the moments, the others (and their moments) stay as they are.
   */
  private updatePart(
    group: Group,
    grads: Array<tf.Tensor | undefined>,
    constants: StepConstants,
  ): void {
    const ms = splitRows(group, group.m);
    const vs = splitRows(group, group.v);
    group.slots.forEach((slot, i) => {
      const g = grads[i];
      if (!g) return;
      const decay = slot.decays ? this.decayValue(constants.learningRate, true) : undefined;
      const next = this.update(decay, slot.variable, g, ms[i]!, vs[i]!, constants);
      ms[i] = next.m;
      vs[i] = next.v;
      slot.variable.assign(next.p);
    });
    group.m.assign(concatRows(group, ms));
    group.v.assign(concatRows(group, vs));
  }

  /**
   * A decayed parameter's factor: 1 − lr·λ for AdamW (the parameter is multiplied by it) and λ
   * for Adam (λ·parameter is added to the gradient); a plain one's is the neutral 1 or 0.
   */
  private decayValue(learningRate: number, decays: boolean): number {
    if (this.decoupled) return decays ? 1 - learningRate * this.weightDecay : 1;
    return decays ? this.weightDecay : 0;
  }

  /**
   * The decay of a group's buffer: none when no member decays, the scalar factor when all do,
   * else one factor per row `[rows, 1, …]` made on the host (in float64, then rounded once, as
   * the scalar is), so a shared buffer updates each row exactly as its own group would.
   */
  private groupDecay(group: Group, learningRate: number): number | tf.Tensor | undefined {
    const decays = group.slots.map((s) => s.decays);
    if (decays.every((d) => !d)) return undefined;
    if (decays.every((d) => d)) return this.decayValue(learningRate, true);
    const factors = new Float32Array(group.shape[0]!);
    let row = 0;
    group.rows.forEach((rows, i) => {
      factors.fill(this.decayValue(learningRate, decays[i]!), row, row + rows);
      row += rows;
    });
    return tf.tensor(factors, [factors.length, ...group.shape.slice(1).map(() => 1)]);
  }

  /**
   * The Adam(W) update of one tensor (a parameter or a group buffer), elementwise; `decay` as
   * {@link groupDecay} gives it (undefined: no decay).
   */
  private update(
    decay: number | tf.Tensor | undefined,
    variable: tf.Tensor,
    rawGrad: tf.Tensor,
    m: tf.Tensor,
    v: tf.Tensor,
    { stepSize, epsilon }: StepConstants,
  ): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
    const { beta1, beta2 } = this;
    const g =
      decay !== undefined && !this.decoupled ? tf.add(rawGrad, tf.mul(variable, decay)) : rawGrad;
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    const denom = tf.add(tf.sqrt(v1), epsilon);
    const update = tf.mul(tf.div(m1, denom), stepSize);
    const decayed = decay !== undefined && this.decoupled ? tf.mul(variable, decay) : variable;
    return { p: tf.sub(decayed, update), m: m1, v: v1 };
  }

  /** Throws unless every key of `grads` is a parameter's (or a packed group's) with its shape. */
  private check(grads: tf.NamedTensorMap): void {
    for (const [key, grad] of Object.entries(grads)) {
      const group = this.byPackedKey.get(key);
      const slot = this.byEngineName.get(key);
      if (!slot && !group)
        throw new InvalidArgumentError(
          `grads['${key}']`,
          'a gradient of a parameter given to the optimizer',
          'an unknown variable name',
        );
      const expected = group ? group.shape : slot!.variable.shape;
      if (grad.shape.join() !== expected.join()) {
        throw new InvalidArgumentError(
          `grads['${key}']${slot ? ` (${slot.name})` : ''}`,
          `shape ${shapeString(expected)}`,
          `shape ${shapeString(grad.shape)}`,
        );
      }
      if (group?.slots.some((s) => grads[s.variable.name]))
        throw new InvalidArgumentError(
          `grads['${key}']`,
          'a packed group without its parameters also given one by one',
          'both',
        );
    }
  }

  /**
   * Moments by name: `m.<param>` and `v.<param>`, shaped like the parameter. They are owned by
   * the optimizer (do not dispose) and valid until its next `step`, `loadStateDict` or `dispose`.
   */
  stateDict(): Map<string, tf.Tensor> {
    if (!this.exported) {
      const state = new Map<string, tf.Tensor>();
      tf.tidy(() => {
        for (const group of this.groups) {
          for (const moment of ['m', 'v'] as const) {
            const buffer = group[moment];
            // A group of one is split into the moment variable itself: export a copy instead.
            splitRows(group, buffer).forEach((part, i) => {
              const name = `${moment}.${group.slots[i]!.name}`;
              state.set(name, tf.keep(part === buffer ? tf.clone(part) : part));
            });
          }
        }
      });
      // Keys in parameter order, m before v, as checkpoints have always listed them.
      this.exported = new Map(
        this.slots.flatMap((s) => [`m.${s.name}`, `v.${s.name}`].map((k) => [k, state.get(k)!])),
      );
    }
    return this.exported;
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
    const expected = new Map<string, readonly number[]>();
    for (const slot of this.slots) {
      expected.set(`m.${slot.name}`, slot.variable.shape);
      expected.set(`v.${slot.name}`, slot.variable.shape);
    }
    for (const [key, shape] of expected) {
      const value = lookup.get(key);
      if (!value)
        throw new InvalidArgumentError(
          `state['${key}']`,
          `a tensor of shape ${shapeString(shape)}`,
          'missing',
        );
      if (value.shape.join() !== shape.join()) {
        throw new InvalidArgumentError(
          `state['${key}']`,
          `shape ${shapeString(shape)}`,
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
    this.dropExported();
    tf.tidy(() => {
      for (const group of this.groups) {
        for (const moment of ['m', 'v'] as const) {
          const parts = group.slots.map((s) =>
            tf.cast(lookup.get(`${moment}.${s.name}`)!, 'float32'),
          );
          group[moment].assign(concatRows(group, parts));
        }
      }
    });
    this.t = iterations;
  }

  releaseStateDict(): void {
    this.dropExported();
  }

  private dropExported(): void {
    if (this.exported) tf.dispose([...this.exported.values()]);
    this.exported = undefined;
  }

  dispose(): void {
    this.dropExported();
    for (const group of this.groups) {
      tf.dispose([group.m, group.v]);
      group.values?.buffer.dispose();
    }
    this.slots.length = 0;
    this.groups.length = 0;
    this.byEngineName.clear();
    this.byPackedKey.clear();
  }
}

interface StepConstants {
  /** lr·√bc₂/bc₁ */
  stepSize: number;
  /** ε·√bc₂ */
  epsilon: number;
  learningRate: number;
}
