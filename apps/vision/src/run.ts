import * as tf from '@tensorflow/tfjs-core';
import { confusionMatrix, createProgress, type Progress, type RunDir } from '@tformer/app-kit';
import { argmax, VisionTransformer } from '@tformer/model';
import {
  AdamW,
  countCorrect,
  crossEntropy,
  type EvalMetrics,
  type Json,
  macroF1,
  Trainer,
  WarmupCosineSchedule,
} from '@tformer/train';
import { DirectoryCheckpointStore } from '@tformer/train/node';
import { sequentialBatches, shuffledBatches, type TensorBatch } from './batches.js';
import type { VisionConfig } from './config.js';
import type { Image } from './shapes.js';

/** Images per evaluation batch. */
const EVAL_BATCH = 100;

const loss = (model: VisionTransformer, batch: TensorBatch) =>
  crossEntropy(model.apply(batch.images), batch.labels);

/** Correct predictions among `logits`, which it frees (countCorrect leaves its inputs alone). */
async function correctOf(logits: tf.Tensor, labels: tf.Tensor) {
  try {
    return await countCorrect(logits, labels);
  } finally {
    logits.dispose();
  }
}

/**
 * A training run: the ViT, its trainer (AdamW, warmup + cosine, clipping, checkpoints in the run
 * directory) and the data streams. Progress and metrics go to the terminal and `metrics.jsonl`;
 * evaluations report test loss and accuracy.
 */
export class VisionRun {
  readonly model: VisionTransformer;
  readonly trainer: Trainer<VisionTransformer, TensorBatch>;
  private readonly optimizer: AdamW;
  private progress: Progress | undefined;
  private lastEval: EvalMetrics | undefined;

  constructor(
    readonly config: VisionConfig,
    runDir: RunDir,
    data: { train: Image[]; test: Image[] },
  ) {
    const { train, imageSize } = config;
    this.model = new VisionTransformer(config.model, { rng: train.seed });
    this.optimizer = new AdamW(this.model.namedParameters(), { weightDecay: train.weightDecay });
    this.trainer = new Trainer<VisionTransformer, TensorBatch>({
      model: this.model,
      loss,
      optimizer: this.optimizer,
      schedule: new WarmupCosineSchedule({
        peakLearningRate: train.learningRate,
        warmupSteps: train.warmupSteps,
        totalSteps: train.steps,
        minLearningRate: train.learningRate / 10,
      }),
      data: shuffledBatches(data.train, train.batchSize, imageSize, train.seed),
      evalData: sequentialBatches(data.test, EVAL_BATCH, imageSize),
      evalEvery: train.evalEvery,
      evalBatches: Math.ceil(data.test.length / EVAL_BATCH),
      countCorrect: (model, batch) => correctOf(model.apply(batch.images), batch.labels),
      clipNorm: train.clipNorm,
      // "Tokens" of a ViT are its patches (the class token aside).
      countTokens: (batch) => batch.images.shape[0] * numPatches(config),
      checkpoint: {
        store: new DirectoryCheckpointStore(runDir.checkpointsPath),
        every: train.evalEvery,
      },
      config: config as unknown as Json,
      callbacks: [
        {
          onStep: async (m) => {
            this.progress?.update(m.step, { loss: m.loss, tokensPerSecond: m.tokensPerSecond });
            await runDir.appendMetrics({
              step: m.step,
              split: 'train',
              loss: m.loss,
              lr: m.learningRate,
              tokensPerSecond: m.tokensPerSecond,
            });
          },
          onEval: async (m) => {
            this.lastEval = m;
            await runDir.appendMetrics({
              step: m.step,
              split: 'test',
              loss: m.loss,
              accuracy: m.accuracy,
            });
          },
        },
      ],
    });
  }

  /**
   * Test loss and accuracy at the current step; reuses the evaluation `fit` made at this step, so
   * metrics.jsonl gets one record per step.
   */
  async evaluation(): Promise<EvalMetrics> {
    if (this.lastEval?.step === this.trainer.step) return this.lastEval;
    return this.trainer.evaluate();
  }

  /** Trains until `config.train.steps` steps are done, with a progress display. */
  async fit(): Promise<void> {
    const total = this.config.train.steps;
    this.progress = createProgress({ label: 'train', total });
    this.progress.update(this.trainer.step);
    try {
      await this.trainer.fit(total);
    } finally {
      this.progress.stop();
      this.progress = undefined;
    }
  }

  dispose(): void {
    this.trainer.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

export const numPatches = (config: VisionConfig) =>
  (config.imageSize / config.model.patchSize) ** 2;

/** Class probabilities of images, in eval mode, `EVAL_BATCH` at a time, with a progress display. */
export async function classProbabilities(
  model: VisionTransformer,
  images: readonly Image[],
  config: VisionConfig,
  label: string,
): Promise<Float32Array[]> {
  const wasTraining = model.training;
  model.eval();
  const progress = createProgress({ label, total: images.length });
  const started = performance.now();
  const out: Float32Array[] = [];
  try {
    const batches = sequentialBatches(images, EVAL_BATCH, config.imageSize);
    while (out.length < images.length) {
      const batch = batches.next() as TensorBatch;
      const probs = tf.tidy(() => tf.softmax(model.apply(batch.images)));
      const data = (await probs.data()) as Float32Array;
      const [B, K] = probs.shape as [number, number];
      tf.dispose([probs, batch.images, batch.labels]);
      for (let b = 0; b < B; b++) out.push(data.slice(b * K, (b + 1) * K));
      progress.update(out.length, {
        tokensPerSecond: (out.length * numPatches(config)) / ((performance.now() - started) / 1000),
      });
    }
  } finally {
    progress.stop();
    model.train(wasTraining);
  }
  return out;
}

export interface TestResult {
  accuracy: number;
  macroF1: number;
  /** `[true][predicted]` counts. */
  confusion: number[][];
}

/** Accuracy, macro-F1 and the confusion matrix on the test images. */
export async function testMetrics(
  model: VisionTransformer,
  test: readonly Image[],
  config: VisionConfig,
): Promise<TestResult> {
  const predictions = (await classProbabilities(model, test, config, 'test')).map((p) => argmax(p));
  const labels = test.map((image) => image.label);
  return {
    accuracy: predictions.filter((p, i) => p === labels[i]).length / test.length,
    macroF1: macroF1(predictions, labels),
    confusion: confusionMatrix(predictions, labels, config.classes.length),
  };
}
