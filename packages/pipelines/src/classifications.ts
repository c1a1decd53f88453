import * as tf from '@tensorflow/tfjs-core';
import { PipelineArgumentError } from './errors.js';

/** One class and its probability. */
export interface Classification {
  label: string;
  score: number;
}

/** Options of the classifiers' `classify`. */
export interface ClassifyOptions {
  /** How many classes to return per input, most likely first (default 1; `Infinity` for all). */
  topK?: number;
  /** Inputs per model call (default 32). */
  batchSize?: number;
}

/**
 * Runs `logits` (`[B, numClasses]`, from a batch of inputs) over `count` inputs in batches, in
 * eval mode, and turns each row's softmax into the `topK` most likely labels.
 */
export async function classifyInBatches(
  model: { training: boolean; train(mode?: boolean): unknown; eval(): unknown },
  count: number,
  logits: (from: number, to: number) => tf.Tensor,
  labels: readonly string[],
  { topK = 1, batchSize = 32 }: ClassifyOptions,
): Promise<Classification[][]> {
  if (!(topK >= 1)) throw new PipelineArgumentError('topK', 'a number ≥ 1', topK);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new PipelineArgumentError('batchSize', 'an integer ≥ 1', batchSize);
  }
  const wasTraining = model.training;
  model.eval();
  const out: Classification[][] = [];
  try {
    for (let from = 0; from < count; from += batchSize) {
      const to = Math.min(count, from + batchSize);
      const probs = tf.tidy(() => tf.softmax(logits(from, to))); // [b, numClasses]
      const data = await probs.data();
      probs.dispose();
      const C = labels.length;
      for (let b = 0; b < to - from; b++) {
        const row = Array.from(data.subarray(b * C, (b + 1) * C));
        const ranked = row
          .map((score, i) => ({ label: labels[i]!, score }))
          .sort((x, y) => y.score - x.score);
        out.push(ranked.slice(0, Math.min(topK, C)));
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}
