import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tformer/nn';
import type { DataSource, LossFunction } from './trainer-types.js';

/** What {@link evaluate} runs: a model, its loss, and the batches to average it over. */
export interface EvaluateOptions<M extends Module, B> {
  model: M;
  loss: LossFunction<M, B>;
  /** Read from its current position; each batch's tensors are disposed after use. */
  data: DataSource<B>;
  batches: number;
  /** Counts correct predictions of a batch (after the loss, same mode); gives `accuracy`. */
  countCorrect?: (model: M, batch: B) => Promise<{ correct: number; total: number }>;
  /**
   * A batch's weight in the mean loss, e.g. its target tokens when batches differ in size
   * (default 1: the mean of the batch losses).
   */
  weight?: (batch: B) => number;
}

/**
 * The evaluation loop of the workspace (the {@link Trainer}'s evaluations use it, and so does
 * code that evaluates a saved model): `batches` batches from `data` in eval mode (dropout off;
 * the model's mode is restored after), the weighted mean loss, and accuracy with `countCorrect`.
 * Disposes every tensor it or the batches made.
 *
 * @example
 * ```ts
 * const { loss } = await evaluate({ model, loss: (m, b) => crossEntropy(m.apply(b.x), b.y), data, batches: 4 });
 * ```
 */
export async function evaluate<M extends Module, B>(
  options: EvaluateOptions<M, B>,
): Promise<{ loss: number; accuracy?: number }> {
  const { model, loss, data, batches, countCorrect, weight } = options;
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let weightSum = 0;
  let correct = 0;
  let total = 0;
  try {
    for (let i = 0; i < batches; i++) {
      const batch = await data.next();
      try {
        const value = tf.tidy(() => loss(model, batch));
        const w = weight ? weight(batch) : 1;
        lossSum += w * (await value.data())[0]!;
        weightSum += w;
        value.dispose();
        if (countCorrect) {
          const counts = await countCorrect(model, batch);
          correct += counts.correct;
          total += counts.total;
        }
      } finally {
        tf.dispose(batch as tf.TensorContainer);
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const result: { loss: number; accuracy?: number } = { loss: lossSum / weightSum };
  if (countCorrect) result.accuracy = total > 0 ? correct / total : 0;
  return result;
}
