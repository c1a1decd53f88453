import * as tf from '@tensorflow/tfjs-core';
import { type AttributionTarget, targetLogit } from './attribution-target.js';
import {
  embeddingPoint,
  type InterpretableModel,
  type ModelInput,
  runModel,
} from './hooked-model.js';
import { runWithCache } from './run-with-cache.js';

/**
 * Gradient × input saliency (Shrikumar et al. 2016; Denil et al. 2014 for text): for each input
 * token, Σ_d x_d · ∂f/∂x_d over its embedding x (the token-embedding hook point: `wte.output`,
 * `srcEmbed.output`, `tokenEmbed.output`, `patchEmbed.output` for ViT patches), where f is the
 * logit of `target.token` at `target.position`. Positive: the token pushes that logit up.
 * The gradient flows through a hook that replaces the embeddings, so the model is unchanged.
 * Run the model in eval mode (`model.eval()`) unless dropout is wanted.
 *
 * Returns `[B, T]` (per source token for an EncoderDecoder), the caller's to dispose.
 *
 * @example
 * ```ts
 * const saliency = gradientTimesInput(model, ids, { token: 5, position: 3 }); // [B, T]
 * ```
 */
export function gradientTimesInput(
  model: InterpretableModel,
  input: ModelInput,
  target: AttributionTarget,
): tf.Tensor2D {
  const point = embeddingPoint(model);
  const { logits, cache } = runWithCache(model, input, [point]);
  tf.dispose(logits);
  try {
    const x = cache.get(point);
    return tf.tidy(() => {
      const f = (e: tf.Tensor) =>
        tf.sum(targetLogit(runModel(model, input, { [point]: () => e }), target));
      const g = tf.grad(f)(x); // [B, T, C]
      return tf.sum(tf.mul(g, x), -1) as tf.Tensor2D;
    });
  } finally {
    cache.dispose();
  }
}
