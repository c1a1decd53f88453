import * as tf from '@tensorflow/tfjs-core';
import type { HookFn, Hooks } from '@tformer/model';
import { ActivationCache } from './activation-cache.js';
import { InterpretError } from './errors.js';
import { type InterpretableModel, type ModelInput, runModel } from './hooked-model.js';

/** Which hook points to cache: names, a filter on names, or all of them (the default). */
export type HookPointFilter = readonly string[] | ((name: string) => boolean);

/**
 * Runs `model` on `input` once and keeps a copy of each chosen activation (TransformerLens'
 * `run_with_cache`, Nanda & Bloom 2022). The hooks only read: the logits are those of a plain call.
 *
 * Arguments: a model with hook points (`DecoderLM`, `EncoderDecoder`, `EncoderClassifier`,
 * `VisionTransformer`), its input (ids, images, or `{ src, tgt }`), and which points to keep
 * (see the model's `hookPoints()`); `extraHooks` run too (e.g. to patch while caching).
 * Returns the logits and an {@link ActivationCache}, both the caller's to dispose.
 *
 * @example
 * ```ts
 * const { logits, cache } = runWithCache(model, ids, (name) => name.endsWith('attn.weights'));
 * const layer0 = cache.get('blocks.0.attn.weights'); // [B, nh, T, T]
 * tf.dispose(logits);
 * cache.dispose();
 * ```
 */
export function runWithCache(
  model: InterpretableModel,
  input: ModelInput,
  names: HookPointFilter = () => true,
  extraHooks: Hooks = {},
): { logits: tf.Tensor; cache: ActivationCache } {
  const points = model.hookPoints();
  if (typeof names !== 'function') {
    const unknown = names.filter((n) => !points.includes(n));
    if (unknown.length > 0) {
      throw new InterpretError(`names: not hook points of this model: ${unknown.join(', ')}`);
    }
  }
  const chosen = points.filter(typeof names === 'function' ? names : (n) => names.includes(n));
  const cache = new ActivationCache();
  const hooks: Record<string, HookFn> = {
    ...extraHooks,
  };
  for (const name of chosen) {
    const extra = extraHooks[name];
    hooks[name] = (t, n) => {
      const replaced = extra?.(t, n) || undefined;
      cache.set(n, tf.keep((replaced ?? t).clone()));
      return replaced;
    };
  }
  try {
    return { logits: runModel(model, input, hooks), cache };
  } catch (error) {
    cache.dispose();
    throw error;
  }
}
