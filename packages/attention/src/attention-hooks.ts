import type * as tf from '@tensorflow/tfjs-core';

/**
 * A hook on one activation of a forward pass: called with the activation (inside the layer's
 * `tf.tidy`, so keep or clone what must outlive the call); return a tensor of the same shape to
 * use in its place (activation patching), or nothing to leave it unchanged.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that only reads returns nothing
export type ActivationHook = (activation: tf.Tensor) => tf.Tensor | undefined | void;

/**
 * Hook points of `MultiHeadAttention` (TransformerLens-style, Nanda & Bloom 2022), by local name;
 * a model prefixes them with the layer's parameter path (`blocks.0.attn.weights`).
 *
 * - `weights`: the attention probabilities `[B, H, T, S]` (before dropout). A replacement is
 *   multiplied by the values in place of the computed probabilities (no dropout on it).
 * - `headOutput`: the per-head outputs `[B, H, T, dv]` before the heads are merged and projected
 *   (zero a head to ablate it, or patch it in from another run).
 *
 * Unused hooks cost one `undefined` check per call.
 */
export interface AttentionHooks {
  readonly weights?: ActivationHook;
  readonly headOutput?: ActivationHook;
}
