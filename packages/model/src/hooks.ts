import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationHook } from '@tformer/attention';
import { ModelArgumentError } from './errors.js';

/**
 * A hook on a named activation of a model's forward pass (TransformerLens' hook points, Nanda &
 * Bloom 2022): called with the activation and its hook-point name, inside the model's `tf.tidy`.
 * To READ it, keep a copy (`tf.keep(activation.clone())`: the copy is the caller's to dispose).
 * To WRITE it (activation patching), return a tensor of the same shape and dtype: the model goes
 * on with that one. Return nothing to leave the activation as it is.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that only reads returns nothing
export type HookFn = (activation: tf.Tensor, name: string) => tf.Tensor | undefined | void;

/**
 * Hooks by hook-point name, named like the parameters of the module they sit in:
 * `blocks.0.attn.weights`, `blocks.0.residPost`, `lnF.output` (see each model's `hookPoints()`).
 */
export type Hooks = Readonly<Record<string, HookFn>>;

/** Hooks of one module by local name, each already bound to its full name. */
export type LocalHooks = Readonly<Record<string, ActivationHook>>;

/**
 * Checks every name against the model's `points` (a typo would silently hook nothing) and binds
 * each hook to its name. Undefined when there are no hooks: the forward pass then skips them all.
 */
export function bindHooks(
  hooks: Hooks | undefined,
  points: readonly string[],
): LocalHooks | undefined {
  if (!hooks) return undefined;
  const bound: Record<string, ActivationHook> = {};
  for (const [name, fn] of Object.entries(hooks)) {
    if (typeof fn !== 'function') {
      throw new ModelArgumentError(`hooks['${name}']`, 'a function', typeof fn);
    }
    if (!points.includes(name)) {
      const near = points.filter((p) => p.endsWith(name.slice(name.lastIndexOf('.') + 1)));
      throw new ModelArgumentError(
        'hooks',
        `a hook point of this model (${near.length > 0 ? `e.g. ${near.slice(0, 3).join(', ')}` : points.slice(0, 3).join(', ')}, … see hookPoints())`,
        name,
      );
    }
    bound[name] = Object.assign((activation: tf.Tensor) => fn(activation, name), { point: name });
  }
  return Object.keys(bound).length > 0 ? bound : undefined;
}

/** The hooks under `prefix` (`blocks.0.`), by their names after it; undefined when none. */
export function scopeHooks(hooks: LocalHooks | undefined, prefix: string): LocalHooks | undefined {
  if (!hooks) return undefined;
  let scoped: Record<string, ActivationHook> | undefined;
  for (const name in hooks) {
    if (name.startsWith(prefix)) {
      scoped ??= {};
      scoped[name.slice(prefix.length)] = hooks[name]!;
    }
  }
  return scoped;
}

/** Runs the hook `name` (if any) on `x`: its replacement, checked to match `x`, or `x`. */
export function runHook(hooks: LocalHooks | undefined, name: string, x: tf.Tensor): tf.Tensor {
  const hook = hooks?.[name];
  if (!hook) return x;
  const replacement = hook(x);
  if (!replacement) return x;
  if (replacement.dtype !== x.dtype || replacement.shape.join() !== x.shape.join()) {
    const point = (hook as { point?: string }).point ?? name;
    throw new ModelArgumentError(
      `hook '${point}' result`,
      `${x.dtype} [${x.shape.join(', ')}] (the activation's shape and dtype)`,
      `${replacement.dtype} [${replacement.shape.join(', ')}]`,
    );
  }
  return replacement;
}
