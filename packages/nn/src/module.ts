import * as tf from '@tensorflow/tfjs-core';
import { formatShape, ModuleError, StateDictError } from './errors.js';
import { assertRngState, type Rng, type RngState } from './rng.js';

/** A state dict: dotted parameter name → tensor. */
export type StateDict = Record<string, tf.Tensor>;

export interface AddParameterOptions {
  /** Whether optimizers update it (`tf.Variable.trainable`). Default true. */
  trainable?: boolean;
}

/** The states of a module tree's generators: dotted name (`blocks.0.dropout.rng`) → state. */
export type RandomState = Record<string, RngState>;

export interface LoadStateDictOptions {
  /** Fail on missing and unexpected keys (default true); shapes and dtypes are always checked. */
  strict?: boolean;
}

const NAME = /^[A-Za-z0-9_]+$/;

/**
 * A node of the parameter tree: it owns `tf.Variable` parameters and child modules, each under a
 * name, so every parameter has a stable dotted name (`blocks.0.attn.query.kernel`). Order: a
 * module's own parameters (in the order added), then each child's, depth first, in the order the
 * children were added (as PyTorch's `named_parameters`).
 *
 * Subclasses add parameters with {@link Module.addParameter} and children with
 * {@link Module.addModule} in their constructor, and define their own `apply(...)`.
 *
 * @example
 * ```ts
 * class Mlp extends Module {
 *   readonly up = this.addModule('up', new Dense({ inputDim: 4, outputDim: 16, rng: 1 }));
 *   readonly down = this.addModule('down', new Dense({ inputDim: 16, outputDim: 4, rng: 2 }));
 *   apply(x: tf.Tensor): tf.Tensor {
 *     return tf.tidy(() => this.down.apply(tf.relu(this.up.apply(x))));
 *   }
 * }
 * ```
 */
export class Module {
  readonly #parameters = new Map<string, tf.Variable>();
  readonly #modules = new Map<string, Module>();
  readonly #rngs = new Map<string, Rng>();
  #training = true;
  #disposed = false;

  /** True in training mode (dropout active), false after {@link Module.eval}. Starts true. */
  get training(): boolean {
    return this.#training;
  }

  /** True once {@link Module.dispose} ran. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Registers a parameter: wraps `initial` in a new `tf.Variable` and takes ownership of
   * `initial` (it is disposed). Passing an existing `tf.Variable` registers that variable itself,
   * to share (tie) it between modules; `namedParameters()` then lists it once, under the first
   * name. `name` is one segment: letters, digits, `_`.
   */
  protected addParameter(
    name: string,
    initial: tf.Tensor,
    options: AddParameterOptions = {},
  ): tf.Variable {
    this.#checkName(name);
    let variable: tf.Variable;
    if (initial instanceof tf.Variable) {
      variable = initial;
      if (options.trainable !== undefined) variable.trainable = options.trainable;
    } else {
      variable = tf.variable(initial, options.trainable ?? true);
      initial.dispose();
    }
    this.#parameters.set(name, variable);
    return variable;
  }

  /** Registers a child module under `name` (one segment) and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.#checkName(name);
    if (!(module instanceof Module)) throw new ModuleError(`addModule('${name}'): not a Module`);
    if ((module as Module) === this)
      throw new ModuleError(`addModule('${name}'): a module cannot contain itself`);
    this.#modules.set(name, module);
    module.train(this.#training);
    return module;
  }

  /**
   * Registers a generator the module draws from while it runs (dropout masks), so that
   * {@link Module.randomState} saves it under a dotted name (`blocks.0.dropout.rng`) and a resumed
   * run draws the same masks. Generators used only to initialise parameters need no registration.
   * `name` is one segment, in the same namespace as parameters and children.
   */
  protected addRng<R extends Rng>(name: string, rng: R): R {
    this.#checkName(name);
    this.#rngs.set(name, rng);
    return rng;
  }

  /**
   * Every registered generator with its dotted name, in the order of
   * {@link Module.namedParameters}; a generator registered twice is listed once, first name.
   */
  namedRngs(): [string, Rng][] {
    const out: [string, Rng][] = [];
    const seen = new Set<Rng>();
    const walk = (module: Module, prefix: string) => {
      for (const [name, rng] of module.#rngs) {
        if (seen.has(rng)) continue;
        seen.add(rng);
        out.push([prefix + name, rng]);
      }
      for (const [name, child] of module.#modules) walk(child, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /**
   * The state of every registered generator by dotted name: plain JSON, to save next to the
   * weights so that training resumes with the same dropout masks.
   *
   * @example
   * ```ts
   * const saved = JSON.stringify(model.randomState());
   * // … later, in a fresh process, after building the model again:
   * model.loadRandomState(JSON.parse(saved));
   * ```
   */
  randomState(): RandomState {
    return Object.fromEntries(this.namedRngs().map(([name, rng]) => [name, rng.state()]));
  }

  /**
   * Restores the generators from {@link Module.randomState}'s output. With `strict` (the default)
   * every missing and unexpected name is reported in one {@link StateDictError}; each state is
   * validated (an `ArgumentError` names it). Nothing is restored unless every check passes.
   */
  loadRandomState(states: RandomState, { strict = true }: LoadStateDictOptions = {}): void {
    this.#assertLive('loadRandomState');
    const rngs = this.namedRngs();
    if (strict) {
      const known = new Set(rngs.map(([n]) => n));
      const missing = rngs.map(([n]) => n).filter((n) => !Object.hasOwn(states, n));
      const unexpected = Object.keys(states).filter((n) => !known.has(n));
      if (missing.length > 0 || unexpected.length > 0) {
        const parts = [
          missing.length > 0 ? `is missing generator(s): ${missing.join(', ')}` : '',
          unexpected.length > 0 ? `has unexpected key(s): ${unexpected.join(', ')}` : '',
        ].filter(Boolean);
        throw new StateDictError(
          missing.length > 0 ? 'missing' : 'unexpected',
          [...missing, ...unexpected].join(', '),
          `random state ${parts.join('; ')}`,
        );
      }
    }
    const present = rngs.filter(([name]) => Object.hasOwn(states, name));
    for (const [name] of present) assertRngState(states[name], `states['${name}']`);
    for (const [name, rng] of present) rng.restore(states[name]!);
  }

  /** Every parameter with its dotted name, depth first in the order they were added. */
  namedParameters(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    const seen = new Set<tf.Variable>();
    const walk = (module: Module, prefix: string) => {
      for (const [name, variable] of module.#parameters) {
        if (seen.has(variable)) continue; // shared (tied) parameters are listed once
        seen.add(variable);
        out.push([prefix + name, variable]);
      }
      for (const [name, child] of module.#modules) walk(child, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /** The parameters of {@link Module.namedParameters}, without names. */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** The parameters whose `trainable` flag is set: pass these as `varList` to optimizers. */
  trainableParameters(): tf.Variable[] {
    return this.parameters().filter((v) => v.trainable);
  }

  /** This module (name `''`) and every descendant with its dotted path. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [['', this]];
    for (const [name, child] of this.#modules) {
      for (const [sub, module] of child.namedModules())
        out.push([sub ? `${name}.${sub}` : name, module]);
    }
    return out;
  }

  /** The direct children with their names. */
  children(): [string, Module][] {
    return [...this.#modules];
  }

  /** Sets `trainable` on every parameter of this module and its descendants (freeze / unfreeze). */
  setTrainable(trainable: boolean): this {
    for (const v of this.parameters()) v.trainable = trainable;
    return this;
  }

  /** Training mode (dropout active) for this module and its descendants. */
  train(mode = true): this {
    this.#training = mode;
    for (const child of this.#modules.values()) child.train(mode);
    return this;
  }

  /** Inference mode (dropout is the identity) for this module and its descendants. */
  eval(): this {
    return this.train(false);
  }

  /** The number of scalar parameters (all, or only the trainable ones). */
  parameterCount({ trainableOnly = false }: { trainableOnly?: boolean } = {}): number {
    return (trainableOnly ? this.trainableParameters() : this.parameters()).reduce(
      (n, v) => n + v.size,
      0,
    );
  }

  /**
   * The live parameters by dotted name. The tensors are the variables themselves, not copies:
   * do not dispose them; `tf.clone` one for a snapshot that survives later updates.
   */
  stateDict(): Record<string, tf.Variable> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies `state` into the parameters. Every tensor's shape and dtype must equal its parameter's
   * ({@link StateDictError} names the parameter and both shapes); with `strict` (the default)
   * missing and unexpected keys fail too. Nothing is assigned unless every check passes. The
   * caller keeps ownership of `state`.
   */
  loadStateDict(state: StateDict, { strict = true }: LoadStateDictOptions = {}): void {
    this.#assertLive('loadStateDict');
    const params = this.namedParameters();
    const known = new Set(params.map(([n]) => n));
    if (strict) {
      const missing = params.map(([n]) => n).filter((n) => !(n in state));
      if (missing.length > 0) {
        throw new StateDictError(
          'missing',
          missing.join(', '),
          `state dict is missing parameter(s): ${missing.join(', ')}`,
        );
      }
      const unexpected = Object.keys(state).filter((n) => !known.has(n));
      if (unexpected.length > 0) {
        throw new StateDictError(
          'unexpected',
          unexpected.join(', '),
          `state dict has unexpected key(s): ${unexpected.join(', ')}`,
        );
      }
    }
    const assignments: [tf.Variable, tf.Tensor][] = [];
    for (const [name, variable] of params) {
      const value = state[name];
      if (value === undefined) continue;
      if (value.shape.join() !== variable.shape.join() || value.rank !== variable.rank) {
        throw new StateDictError(
          'shape-mismatch',
          name,
          `parameter '${name}': shape mismatch, model has ${formatShape(variable.shape)}, ` +
            `state dict has ${formatShape(value.shape)}`,
          variable.shape,
          value.shape,
        );
      }
      if (value.dtype !== variable.dtype) {
        throw new StateDictError(
          'dtype-mismatch',
          name,
          `parameter '${name}': dtype mismatch, model has ${variable.dtype}, state dict has ${value.dtype}`,
          variable.dtype,
          value.dtype,
        );
      }
      assignments.push([variable, value]);
    }
    for (const [variable, value] of assignments) {
      // Assigning a variable its own data would free it first (tfjs' assign disposes the old data).
      if (value.dataId !== variable.dataId) variable.assign(value);
    }
  }

  /** Disposes every parameter of this module and its descendants. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#parameters.values()) if (!v.isDisposed) v.dispose();
    for (const child of this.#modules.values()) child.dispose();
  }

  #checkName(name: string): void {
    this.#assertLive('add');
    if (!NAME.test(name)) {
      throw new ModuleError(
        `invalid name '${name}': use letters, digits and _ (dots come from nesting)`,
      );
    }
    if (this.#parameters.has(name) || this.#modules.has(name) || this.#rngs.has(name)) {
      throw new ModuleError(`name '${name}' is already used in this module`);
    }
  }

  #assertLive(what: string): void {
    if (this.#disposed) throw new ModuleError(`${what}: module was disposed`);
  }
}

/**
 * An indexed list of modules: its children are named `0`, `1`, …, which gives parameter names
 * such as `blocks.0.attn.query.kernel`.
 */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module under the next index. */
  push(module: M): M {
    this.addModule(String(this.#items.length), module);
    this.#items.push(module);
    return module;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const item = this.#items.at(index);
    if (item === undefined)
      throw new ModuleError(`index ${index} out of range for ModuleList of ${this.#items.length}`);
    return item;
  }

  get length(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
