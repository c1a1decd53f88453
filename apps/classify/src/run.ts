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
import { EncoderClassifier } from '@tformer/model';
import { AdamW, crossEntropy } from '@tformer/train';
import {
  type EncodedExample,
  sequentialBatches,
  shuffledBatches,
  type TensorBatch,
} from './batches.js';
import type { ClassifyConfig } from './config.js';

export type { TestResult } from '@tformer/app-kit';

/** Examples per evaluation batch. */
const EVAL_BATCH = 64;

/**
 * A training run of the Keras-style classifier: AdamW, warmup + cosine, clipping, checkpoints in
 * the run directory; evaluations report test loss and accuracy.
 */
export class ClassifyRun extends TrainingRun<EncoderClassifier, TensorBatch> {
  constructor(
    readonly config: ClassifyConfig,
    runDir: RunDir,
    /** `eval`: what evaluations use (the `--valid` examples, else the test examples). */
    data: { train: EncodedExample[]; eval: EncodedExample[] },
  ) {
    const { train, model: modelConfig } = config;
    const model = new EncoderClassifier(modelConfig, { rng: train.seed });
    super({
      runDir,
      model,
      optimizer: new AdamW(model.namedParameters(), { weightDecay: train.weightDecay }),
      schedule: warmupCosine(train),
      loss: (m, batch) => crossEntropy(m.apply(batch.ids), batch.labels),
      data: shuffledBatches(data.train, train.batchSize, modelConfig.maxLength, train.seed),
      evalData: sequentialBatches(data.eval, EVAL_BATCH, modelConfig.maxLength),
      evalBatches: Math.ceil(data.eval.length / EVAL_BATCH),
      evalSplit: evalSplitOf(config.data?.valid),
      steps: train.steps,
      evalEvery: train.evalEvery,
      clipNorm: train.clipNorm,
      // Tokens per second counts the padded positions the model computes on.
      countTokens: (batch) => batch.ids.size,
      countCorrect: (m, batch) => correctOf(m.apply(batch.ids), batch.labels),
      config,
    });
  }
}

/** Class probabilities `[n][numClasses]` of encoded examples, in eval mode, `EVAL_BATCH` at a time. */
export function classProbabilities(
  model: EncoderClassifier,
  examples: readonly EncodedExample[],
  label = 'classify',
): Promise<Float32Array[]> {
  const { maxLength } = model.config;
  return probabilitiesOf(
    model,
    (batch: TensorBatch) => model.apply(batch.ids),
    sequentialBatches(examples, EVAL_BATCH, maxLength),
    examples.length,
    { label, tokensPerExample: maxLength },
  );
}

/** Accuracy, macro-F1 and the confusion matrix of the model on the test examples. */
export async function testMetrics(
  model: EncoderClassifier,
  test: readonly EncodedExample[],
  numClasses: number,
): Promise<TestResult> {
  const probabilities = await classProbabilities(model, test, 'test');
  return classificationResult(
    probabilities,
    test.map((e) => e.label),
    numClasses,
  );
}
