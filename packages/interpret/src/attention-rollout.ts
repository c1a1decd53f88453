import * as tf from '@tensorflow/tfjs-core';
import { InterpretError } from './errors.js';

export interface AttentionRolloutOptions {
  /** How heads are merged per layer: their mean (the paper) or their maximum. */
  headFusion?: 'mean' | 'max';
  /**
   * Weight of the residual stream: each layer's matrix is `(1 − r)·A + r·I`, renormalised.
   * 0.5 is the paper's `0.5·A + 0.5·I`.
   */
  residualWeight?: number;
}

/**
 * Attention rollout (Abnar & Zuidema, "Quantifying Attention Flow in Transformers", 2020): how much
 * each output position draws on each input position through all layers, treating the residual
 * connection as extra attention to self and composing the layers by matrix product.
 *
 * Arguments: `attentionMaps`, one `[B, H, T, T]` tensor of attention weights per layer, first layer
 * first (e.g. from `MultiHeadAttention` with `returnAttentionWeights`).
 * Returns `[B, T, T]` (rows sum to 1), owned by the caller.
 *
 * @example
 * ```ts
 * const rollout = attentionRollout([layer0Weights, layer1Weights]); // [B, T, T]
 * ```
 */
export function attentionRollout(
  attentionMaps: readonly tf.Tensor[],
  { headFusion = 'mean', residualWeight = 0.5 }: AttentionRolloutOptions = {},
): tf.Tensor3D {
  if (attentionMaps.length === 0)
    throw new InterpretError('attentionMaps: expected at least one layer, got none');
  if (!(residualWeight >= 0 && residualWeight <= 1)) {
    throw new InterpretError(`residualWeight: expected a value in [0, 1], got ${residualWeight}`);
  }
  const [batch, heads, t, s] = attentionMaps[0]!.shape;
  attentionMaps.forEach((map, i) => {
    const [b, h, tq, tk] = map.shape;
    if (map.rank !== 4 || tq !== tk || b !== batch || h !== heads || tq !== t || tk !== s) {
      throw new InterpretError(
        `attentionMaps[${i}]: expected [B, H, T, T] = [${batch}, ${heads}, ${t}, ${t}], got [${map.shape.join(', ')}]`,
      );
    }
  });
  return tf.tidy(() => {
    const eye = tf.expandDims(tf.eye(t!), 0); // [1, T, T]
    let rollout: tf.Tensor3D | undefined;
    for (const map of attentionMaps) {
      const fused = headFusion === 'mean' ? tf.mean(map, 1) : tf.max(map, 1); // [B, T, T]
      const mixed = tf.add(tf.mul(fused, 1 - residualWeight), tf.mul(eye, residualWeight));
      const layer = tf.div(mixed, tf.sum(mixed, -1, true)) as tf.Tensor3D; // rows sum to 1
      // Later layers act on the result of earlier ones: R ← A_l · R.
      rollout = rollout ? (tf.matMul(layer, rollout) as tf.Tensor3D) : layer;
    }
    return rollout!;
  });
}
