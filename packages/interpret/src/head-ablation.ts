import * as tf from '@tensorflow/tfjs-core';
import type { DecoderLM } from '@tformer/model';
import { InterpretError } from './errors.js';
import { runWithCache } from './run-with-cache.js';

export interface HeadAblationOptions {
  /** `zero` replaces the head's output by zeros; `mean` by its mean over the batch and positions. */
  mode?: 'zero' | 'mean';
}

export interface HeadAblationResult {
  /** Mean next-token cross-entropy (nats) of the intact model on the ids. */
  baseLoss: number;
  /** `[layer][head]`: the loss with that one head ablated. */
  loss: number[][];
  /** `[layer][head]`: `loss − baseLoss`; large means the head matters for this text. */
  delta: number[][];
}

/** Mean next-token cross-entropy of `[B, T, V]` logits on ids `[B, T]` (positions 0 … T−2). */
function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape as [number, number, number];
    const logProbs = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [B, T - 1, V]));
    const targets = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [-1]), V);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.reshape(logProbs, [-1, V]), targets), -1))) as tf.Scalar;
  });
}

/**
 * Head ablation (Michel, Levy & Neubig 2019, "Are Sixteen Heads Really Better than One?"; mean
 * ablation as in Wang et al. 2023): for every layer and head of a `DecoderLM`, the next-token loss
 * on `ids` when that head's output (`blocks.N.attn.headOutput` `[B, nh, T, hs]`, before the output
 * projection) is replaced by zeros or by its mean over the batch and positions. One forward pass
 * per head.
 *
 * @example
 * ```ts
 * const { baseLoss, delta } = await headAblation(model, ids, { mode: 'mean' });
 * delta[0][1]; // how much worse the model predicts `ids` without layer 0's head 1
 * ```
 */
export async function headAblation(
  model: DecoderLM,
  ids: tf.Tensor,
  { mode = 'zero' }: HeadAblationOptions = {},
): Promise<HeadAblationResult> {
  if (mode !== 'zero' && mode !== 'mean') {
    throw new InterpretError(`mode: expected 'zero' or 'mean', got '${mode}'`);
  }
  if (ids.rank !== 2 || ids.shape[1]! < 2) {
    throw new InterpretError(`ids: expected [B, T] with T ≥ 2, got [${ids.shape.join(', ')}]`);
  }
  const { numLayers: L, numHeads: H } = model.config;
  const points = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.headOutput`);
  const { logits, cache } = runWithCache(model, ids, mode === 'mean' ? points : []);
  const read = async (t: tf.Scalar) => {
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  };
  const baseLoss = await read(nextTokenLoss(logits, ids));
  logits.dispose();
  const loss: number[][] = [];
  try {
    for (let l = 0; l < L; l++) {
      // [1, nh, 1, hs]: each head's mean output, for mean ablation.
      const mean = mode === 'mean' ? tf.mean(cache.get(points[l]!), [0, 2], true) : undefined;
      const row: number[] = [];
      for (let h = 0; h < H; h++) {
        const keep = tf.tensor4d(
          Array.from({ length: H }, (_, i) => (i === h ? 0 : 1)),
          [1, H, 1, 1],
        );
        const ablate = (t: tf.Tensor) =>
          mean ? tf.add(tf.mul(t, keep), tf.mul(mean, tf.sub(1, keep))) : tf.mul(t, keep);
        const ablated = tf.tidy(() =>
          nextTokenLoss(model.apply(ids, { hooks: { [points[l]!]: ablate } }), ids),
        );
        keep.dispose();
        row.push(await read(ablated));
      }
      mean?.dispose();
      loss.push(row);
    }
  } finally {
    cache.dispose();
  }
  return { baseLoss, loss, delta: loss.map((r) => r.map((v) => v - baseLoss)) };
}
