import * as tf from '@tensorflow/tfjs-core';
import { argmax } from '@tformer/model/generate';
import type { Module } from '@tformer/nn';
import { countCorrect, type DataSource, macroF1 } from '@tformer/train';
import { confusionMatrix, formatConfusion } from './confusion.js';
import { createProgress } from './progress.js';

/**
 * Class probabilities `[count][numClasses]` of `count` examples drawn in order from `batches`, in
 * eval mode, with a progress display. `logits` runs the model on one batch.
 */
export async function classProbabilities<B>(
  model: Module,
  logits: (batch: B) => tf.Tensor,
  batches: DataSource<B>,
  count: number,
  { label, tokensPerExample }: { label: string; tokensPerExample: number },
): Promise<Float32Array[]> {
  const wasTraining = model.training;
  model.eval();
  const progress = createProgress({ label, total: count });
  const started = performance.now();
  const out: Float32Array[] = [];
  try {
    while (out.length < count) {
      const batch = (await batches.next()) as B;
      const probs = tf.tidy(() => tf.softmax(logits(batch)));
      const data = (await probs.data()) as Float32Array;
      const [rows, classes] = probs.shape as [number, number];
      tf.dispose([probs, batch as tf.TensorContainer]);
      for (let b = 0; b < rows; b++) out.push(data.slice(b * classes, (b + 1) * classes));
      const seconds = (performance.now() - started) / 1000;
      progress.update(out.length, { tokensPerSecond: (out.length * tokensPerExample) / seconds });
    }
  } finally {
    progress.stop();
    model.train(wasTraining);
  }
  return out;
}

/**
 * Correct predictions among `logits` (argmax against `labels`), for a Trainer's `countCorrect`.
 * It frees `logits`, which the caller computed only for this count.
 */
export async function correctOf(
  logits: tf.Tensor,
  labels: tf.Tensor,
): Promise<{ correct: number; total: number }> {
  try {
    return await countCorrect(logits, labels);
  } finally {
    logits.dispose();
  }
}

export interface TestResult {
  accuracy: number;
  macroF1: number;
  /** `[true][predicted]` counts. */
  confusion: number[][];
}

/** Accuracy, macro-F1 and the confusion matrix of predicted class probabilities. */
export function classificationResult(
  probabilities: readonly Float32Array[],
  labels: readonly number[],
  numClasses: number,
): TestResult {
  const predictions = probabilities.map((p) => argmax(p));
  const correct = predictions.filter((p, i) => p === labels[i]).length;
  return {
    accuracy: correct / labels.length,
    macroF1: macroF1(predictions, [...labels]),
    confusion: confusionMatrix(predictions, [...labels], numClasses),
  };
}

/**
 * The test report of a classifier app: accuracy and macro-F1 over `count` held-out `items`
 * ("examples", "images"), then the confusion matrix with the class names.
 */
export function formatTestResult(
  result: TestResult,
  classes: readonly string[],
  count: number,
  items: string,
): string {
  return `test accuracy ${(100 * result.accuracy).toFixed(1)}%, macro-F1 ${result.macroF1.toFixed(3)} (${count} held-out ${items})\nconfusion matrix (rows: true class, columns: predicted):\n${formatConfusion(result.confusion, classes)}`;
}
