import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@tformer/nn';

/**
 * The Annotated Transformer's copy task (Rush 2018): vocabulary 11, length 10, start symbol 1,
 * and the AdamW options and warm-up cosine schedule (`totalSteps` aside) the tests train with.
 */
export const COPY_TASK = {
  vocabSize: 11,
  length: 10,
  start: 1,
  adamW: { weightDecay: 0, beta2: 0.98 },
  schedule: { peakLearningRate: 1e-2, warmupSteps: 30 },
} as const;

/**
 * The encoder-decoder configuration the copy-task tests train (an `EncoderDecoderConfig`; pre-LN
 * trains this tiny model reliably at a high learning rate in few steps).
 */
export const COPY_TASK_MODEL = {
  srcVocabSize: COPY_TASK.vocabSize,
  tgtVocabSize: COPY_TASK.vocabSize,
  numLayers: 2,
  dModel: 32,
  numHeads: 4,
  dFF: 64,
  dropout: 0,
  preNorm: true,
  maxLength: 16,
  shareEmbeddings: true,
  padTokenId: 0,
} as const;

/** `n` sequences of `COPY_TASK.length` tokens in 1 … V−1 whose first token is the start symbol. */
export function copyTaskSequences(n: number, seed: number): number[][] {
  const { vocabSize: V, length: L, start } = COPY_TASK;
  const rng = createRng(seed);
  return Array.from({ length: n }, () => [
    start,
    ...Array.from({ length: L - 1 }, () => 1 + Math.floor(rng.uniform() * (V - 1))),
  ]);
}

/** What {@link trainCopyTask} needs: the model's logits, a loss, its parameters and an update. */
export interface CopyTaskTraining {
  /** Logits `[B, L−1, V]` for sources `[B, L]` and target inputs `[B, L−1]`. */
  logits(src: tf.Tensor2D, tgtIn: tf.Tensor2D): tf.Tensor;
  /** Mean loss of logits against target ids `[B, L−1]` (e.g. `crossEntropy`). */
  loss(logits: tf.Tensor, targets: tf.Tensor2D): tf.Scalar;
  params: tf.Variable[];
  /** One optimizer step at training step `step` (0-based). */
  update(grads: tf.NamedTensorMap, step: number): void;
  steps: number;
  /** Sequences per step; default 64. */
  batch?: number;
}

/**
 * Trains on fresh copy-task batches (batch `step` from seed 1000 + step), teacher-forced: the
 * target input is the sequence without its last token, the target its shift by one. Frees every
 * tensor it makes.
 */
export function trainCopyTask(t: CopyTaskTraining): void {
  const L = COPY_TASK.length;
  const batch = t.batch ?? 64;
  for (let step = 0; step < t.steps; step++) {
    const data = copyTaskSequences(batch, 1000 + step);
    const src = tf.tensor2d(data, [batch, L], 'int32');
    const tgtIn = tf.tensor2d(
      data.map((s) => s.slice(0, -1)),
      [batch, L - 1],
      'int32',
    );
    const tgtOut = tf.tensor2d(
      data.map((s) => s.slice(1)),
      [batch, L - 1],
      'int32',
    );
    const { value, grads } = tf.variableGrads(() => t.loss(t.logits(src, tgtIn), tgtOut), t.params);
    t.update(grads, step);
    tf.dispose([src, tgtIn, tgtOut, value, ...Object.values(grads)]);
  }
}
