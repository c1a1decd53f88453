import type * as tf from '@tensorflow/tfjs-core';
import { InterpretError } from './errors.js';

/**
 * Activations kept from a forward pass, by hook-point name (TransformerLens' `ActivationCache`),
 * in the order the model produced them. The cache owns its tensors: `dispose()` frees them all.
 *
 * @example
 * ```ts
 * const { logits, cache } = runWithCache(model, ids, ['blocks.0.attn.weights']);
 * const weights = cache.get('blocks.0.attn.weights'); // [B, nh, T, T]
 * cache.dispose();
 * logits.dispose();
 * ```
 */
export class ActivationCache {
  readonly #tensors = new Map<string, tf.Tensor>();

  /** Stores `tensor` under `name` (taking ownership; a second store of a name replaces it). */
  set(name: string, tensor: tf.Tensor): void {
    this.#tensors.get(name)?.dispose();
    this.#tensors.set(name, tensor);
  }

  /** The activation stored under `name`; throws {@link InterpretError} naming what there is. */
  get(name: string): tf.Tensor {
    const t = this.#tensors.get(name);
    if (!t) {
      throw new InterpretError(
        `cache: no activation '${name}' (cached: ${[...this.#tensors.keys()].join(', ') || 'none'})`,
      );
    }
    return t;
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** Names in forward order. */
  get names(): string[] {
    return [...this.#tensors.keys()];
  }

  /** The activations whose names match `pattern`, in forward order. */
  select(pattern: RegExp): tf.Tensor[] {
    return this.names.filter((n) => pattern.test(n)).map((n) => this.#tensors.get(n)!);
  }

  get size(): number {
    return this.#tensors.size;
  }

  dispose(): void {
    for (const t of this.#tensors.values()) t.dispose();
    this.#tensors.clear();
  }
}
