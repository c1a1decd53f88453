import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tformer/nn';
import { AdamW, crossEntropy } from '@tformer/train';
import { runBatches, sequentialBatches } from './batch-sources.js';
import {
  classificationResult,
  classProbabilities,
  correctOf,
  type TestResult,
} from './class-probabilities.js';
import type { RunDir } from './run-dir.js';
import { TrainingRun, type TrainSettings, warmupCosine } from './training-run.js';

/**
 * How a classifier app (classify: texts, vision: images) batches its examples `R` and runs its
 * model `M` on a batch `B`: what {@link ClassifierRun} and {@link Classifier} need to know of it.
 */
export interface ClassifierTask<
  M extends Module,
  R extends { label: number },
  B extends { labels: tf.Tensor1D },
> {
  /** Examples per evaluation or prediction batch. */
  evalBatch: number;
  /** Tokens (positions, patches) the model computes on per example, for tokens/s. */
  tokensPerExample: number;
  toTensors: (rows: readonly R[]) => B;
  logits: (model: M, batch: B) => tf.Tensor;
}

/**
 * A classifier's training run: AdamW, warmup + cosine, clipping, cross-entropy on the task's
 * logits, checkpoints in the run directory; evaluations (on `data.eval`, labelled `evalSplit`)
 * report loss and accuracy.
 *
 * @example
 * const run = new ClassifierRun(config, runDir, model, task, { train, eval: test }, 'test');
 * await run.fit();
 */
export class ClassifierRun<
  M extends Module,
  R extends { label: number },
  B extends { labels: tf.Tensor1D },
  C extends { train: TrainSettings },
> extends TrainingRun<M, B> {
  constructor(
    readonly config: C,
    runDir: RunDir,
    model: M,
    task: ClassifierTask<M, R, B>,
    data: { train: readonly R[]; eval: readonly R[] },
    evalSplit: 'val' | 'test',
  ) {
    const { train } = config;
    super({
      runDir,
      model,
      optimizer: new AdamW(model.namedParameters(), { weightDecay: train.weightDecay }),
      schedule: warmupCosine(train),
      loss: (m, batch) => crossEntropy(task.logits(m, batch), batch.labels),
      ...runBatches(train, data, task.evalBatch, task.toTensors),
      evalSplit,
      countTokens: (batch) => batch.labels.size * task.tokensPerExample,
      countCorrect: (m, batch) => correctOf(task.logits(m, batch), batch.labels),
      config,
    });
  }
}

/**
 * A classifier app's model with its {@link ClassifierTask}: class probabilities of examples and
 * the test metrics of held-out ones, in eval mode, the task's `evalBatch` at a time.
 *
 * @example
 * const result = await new Classifier(model, task).testResult(test, classes.length);
 */
export class Classifier<
  M extends Module,
  R extends { label: number },
  B extends { labels: tf.Tensor1D },
> {
  constructor(
    readonly model: M,
    readonly task: ClassifierTask<M, R, B>,
  ) {}

  /** Class probabilities `[n][numClasses]` of `rows`, with a progress display labelled `label`. */
  probabilities(rows: readonly R[], label: string): Promise<Float32Array[]> {
    const { model, task } = this;
    return classProbabilities(
      model,
      (batch: B) => task.logits(model, batch),
      sequentialBatches(rows, task.evalBatch, task.toTensors),
      rows.length,
      { label, tokensPerExample: task.tokensPerExample },
    );
  }

  /** Accuracy, macro-F1 and the confusion matrix on the held-out `rows`. */
  async testResult(rows: readonly R[], numClasses: number): Promise<TestResult> {
    const probabilities = await this.probabilities(rows, 'test');
    return classificationResult(
      probabilities,
      rows.map((row) => row.label),
      numClasses,
    );
  }
}
