import * as tf from '@tensorflow/tfjs-core';
import type { ActivationCache } from './activation-cache.js';
import type { InterpretableModel, ModelInput } from './hooked-model.js';
import { runWithCache } from './run-with-cache.js';

/** Which attention: `self` (decoder or only stack), `encoder` (an EncoderDecoder's), `cross`, or `all`. */
export type AttentionKind = 'self' | 'encoder' | 'cross' | 'all';

const KIND_PATTERNS: Record<AttentionKind, RegExp> = {
  // DecoderLM / classifier / ViT blocks' `attn`, or an EncoderDecoder's decoder self-attention.
  self: /^(blocks\.\d+\.attn|decoder\.layers\.\d+\.selfAttn)\.weights$/,
  encoder: /^encoder\.layers\.\d+\.attn\.weights$/,
  cross: /^decoder\.layers\.\d+\.crossAttn\.weights$/,
  all: /\.weights$/,
};

/**
 * The attention probabilities of every layer and head (Vaswani et al. 2017, eq. 1; what bertviz
 * draws, Vig 2019), read through the `*.attn.weights` hook points in one forward pass.
 *
 * Arguments: a model with hook points, its input, and `kind` (default `all`). Returns an
 * {@link ActivationCache} of `[B, nh, T, S]` tensors by hook-point name in layer order
 * (`blocks.0.attn.weights`, …; `decoder.layers.0.crossAttn.weights` is `[B, nh, T, S]` with S the
 * source length). The caller disposes the cache. `cache.select(/attn/)` gives the list that
 * {@link attentionRollout} takes.
 *
 * @example
 * ```ts
 * const maps = attentionMaps(model, ids); // DecoderLM: blocks.N.attn.weights
 * const rollout = attentionRollout(maps.select(/attn\.weights$/));
 * maps.dispose();
 * ```
 */
export function attentionMaps(
  model: InterpretableModel,
  input: ModelInput,
  { kind = 'all' }: { kind?: AttentionKind } = {},
): ActivationCache {
  const pattern = KIND_PATTERNS[kind];
  const { logits, cache } = runWithCache(model, input, (name) => pattern.test(name));
  tf.dispose(logits);
  return cache;
}
