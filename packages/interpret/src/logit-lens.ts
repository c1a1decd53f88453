import * as tf from '@tensorflow/tfjs-core';
import type { DecoderLM } from '@tformer/model';
import { InterpretError } from './errors.js';
import { runWithCache } from './run-with-cache.js';

export interface LogitLensOptions {
  /** Tokens kept per layer and position. Default 5. */
  topK?: number;
  /** Which row of the batch. Default 0. */
  batchIndex?: number;
}

export interface LogitLensResult {
  /** `embed` (the input to block 0), then `blocks.0` … `blocks.{N−1}` (each block's output). */
  layers: string[];
  /** `[layer][position][k]`: the most likely next tokens read from that layer, best first. */
  top: { token: number; prob: number }[][][];
}

/**
 * The logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens"; Belrose et al. 2023
 * for its tuned variant): what the residual stream after each block would predict if it were the
 * last, read through the model's own final LayerNorm and unembedding,
 * softmax(unembed(lnF(residual))). The last layer's reading is the model's prediction.
 *
 * Arguments: a `DecoderLM`, ids `[B, T]`, {@link LogitLensOptions}. Returns plain numbers.
 *
 * @example
 * ```ts
 * const lens = await logitLens(model, ids, { topK: 3 });
 * lens.top[lens.layers.length - 1][T - 1][0].token; // the model's greedy next token
 * ```
 */
export async function logitLens(
  model: DecoderLM,
  ids: tf.Tensor,
  { topK = 5, batchIndex = 0 }: LogitLensOptions = {},
): Promise<LogitLensResult> {
  const V = model.config.vocabSize;
  if (!(Number.isInteger(topK) && topK >= 1 && topK <= V)) {
    throw new InterpretError(`topK: expected an integer in [1, ${V}], got ${topK}`);
  }
  if (!(Number.isInteger(batchIndex) && batchIndex >= 0 && batchIndex < (ids.shape[0] ?? 0))) {
    throw new InterpretError(
      `batchIndex: expected a row of ids [${ids.shape.join(', ')}], got ${batchIndex}`,
    );
  }
  const L = model.config.numLayers;
  const names = [
    'blocks.0.residPre',
    ...Array.from({ length: L }, (_, i) => `blocks.${i}.residPost`),
  ];
  const row = tf.slice(ids, batchIndex, 1);
  const { logits, cache } = runWithCache(model, row, names);
  tf.dispose([logits, row]);
  const layers = ['embed', ...Array.from({ length: L }, (_, i) => `blocks.${i}`)];
  const top: LogitLensResult['top'] = [];
  try {
    for (const name of names) {
      const { values, indices } = tf.tidy(() => {
        const h = cache.get(name); // [1, T, C]
        const probs = tf.softmax(model.logits(model.lnF.apply(h))); // [1, T, V]
        return tf.topk(tf.squeeze(probs, [0]), topK); // [T, k]
      });
      const [p, t] = [(await values.array()) as number[][], (await indices.array()) as number[][]];
      tf.dispose([values, indices]);
      top.push(p.map((ps, pos) => ps.map((prob, k) => ({ token: t[pos]![k]!, prob }))));
    }
  } finally {
    cache.dispose();
  }
  return { layers, top };
}
