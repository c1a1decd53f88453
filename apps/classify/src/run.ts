import { ClassifierRun, type ClassifierTask, evalSplitOf, type RunDir } from '@tformer/app-kit';
import { EncoderClassifier } from '@tformer/model';
import { type EncodedExample, type TensorBatch, toTensors } from './batches.js';
import type { ClassifyConfig } from './config.js';

/** Examples per evaluation batch. */
const EVAL_BATCH = 64;

/** How the classifier reads encoded examples: ids padded to `maxLength`, `EVAL_BATCH` at a time. */
export function classifyTask(
  maxLength: number,
): ClassifierTask<EncoderClassifier, EncodedExample, TensorBatch> {
  return {
    evalBatch: EVAL_BATCH,
    // Tokens per second counts the padded positions the model computes on.
    tokensPerExample: maxLength,
    toTensors: (rows) => toTensors(rows, maxLength),
    logits: (model, batch) => model.apply(batch.ids),
  };
}

/**
 * A training run of the Keras-style classifier: AdamW, warmup + cosine, clipping, checkpoints in
 * the run directory; evaluations report test loss and accuracy.
 */
export class ClassifyRun extends ClassifierRun<
  EncoderClassifier,
  EncodedExample,
  TensorBatch,
  ClassifyConfig
> {
  constructor(
    config: ClassifyConfig,
    runDir: RunDir,
    /** `eval`: what evaluations use (the `--valid` examples, else the test examples). */
    data: { train: EncodedExample[]; eval: EncodedExample[] },
  ) {
    const model = new EncoderClassifier(config.model, { rng: config.train.seed });
    const task = classifyTask(config.model.maxLength);
    super(config, runDir, model, task, data, evalSplitOf(config.data?.valid));
  }
}
