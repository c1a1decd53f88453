import {
  classificationResult,
  correctOf,
  evalSplitOf,
  classProbabilities as probabilitiesOf,
  type RunDir,
  type TestResult,
  TrainingRun,
  warmupCosine,
} from '@tformer/app-kit';
import { VisionTransformer } from '@tformer/model';
import { AdamW, crossEntropy } from '@tformer/train';
import { sequentialBatches, shuffledBatches, type TensorBatch } from './batches.js';
import type { VisionConfig } from './config.js';
import type { Image } from './shapes.js';

export type { TestResult } from '@tformer/app-kit';

/** Images per evaluation batch. */
const EVAL_BATCH = 100;

export const numPatches = (config: VisionConfig) =>
  (config.imageSize / config.model.patchSize) ** 2;

/**
 * A training run of the ViT: AdamW, warmup + cosine, clipping, checkpoints in the run directory;
 * evaluations report test loss and accuracy.
 */
export class VisionRun extends TrainingRun<VisionTransformer, TensorBatch> {
  constructor(
    readonly config: VisionConfig,
    runDir: RunDir,
    /** `eval`: what evaluations use (the `--valid` images, else the test images). */
    data: { train: Image[]; eval: Image[] },
  ) {
    const { train, imageSize } = config;
    const model = new VisionTransformer(config.model, { rng: train.seed });
    super({
      runDir,
      model,
      optimizer: new AdamW(model.namedParameters(), { weightDecay: train.weightDecay }),
      schedule: warmupCosine(train),
      loss: (m, batch) => crossEntropy(m.apply(batch.images), batch.labels),
      data: shuffledBatches(data.train, train.batchSize, imageSize, train.seed),
      evalData: sequentialBatches(data.eval, EVAL_BATCH, imageSize),
      evalBatches: Math.ceil(data.eval.length / EVAL_BATCH),
      evalSplit: evalSplitOf(config.validPath),
      steps: train.steps,
      evalEvery: train.evalEvery,
      clipNorm: train.clipNorm,
      // "Tokens" of a ViT are its patches (the class token aside).
      countTokens: (batch) => batch.images.shape[0] * numPatches(config),
      countCorrect: (m, batch) => correctOf(m.apply(batch.images), batch.labels),
      config,
    });
  }
}

/** Class probabilities of images, in eval mode, `EVAL_BATCH` at a time, with a progress display. */
export function classProbabilities(
  model: VisionTransformer,
  images: readonly Image[],
  config: VisionConfig,
  label: string,
): Promise<Float32Array[]> {
  return probabilitiesOf(
    model,
    (batch: TensorBatch) => model.apply(batch.images),
    sequentialBatches(images, EVAL_BATCH, config.imageSize),
    images.length,
    { label, tokensPerExample: numPatches(config) },
  );
}

/** Accuracy, macro-F1 and the confusion matrix on the test images. */
export async function testMetrics(
  model: VisionTransformer,
  test: readonly Image[],
  config: VisionConfig,
): Promise<TestResult> {
  const probabilities = await classProbabilities(model, test, config, 'test');
  return classificationResult(
    probabilities,
    test.map((image) => image.label),
    config.classes.length,
  );
}
