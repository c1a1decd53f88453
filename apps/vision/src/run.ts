import { ClassifierRun, type ClassifierTask, evalSplitOf, type RunDir } from '@tformer/app-kit';
import { VisionTransformer } from '@tformer/model';
import { type TensorBatch, toTensors } from './batches.js';
import type { VisionConfig } from './config.js';
import type { Image } from './shapes.js';

/** Images per evaluation batch. */
const EVAL_BATCH = 100;

const numPatches = (config: VisionConfig) => (config.imageSize / config.model.patchSize) ** 2;

/** How the ViT reads images: `config.imageSize` square, scaled to [−1, 1], `EVAL_BATCH` at a time. */
export function visionTask(
  config: VisionConfig,
): ClassifierTask<VisionTransformer, Image, TensorBatch> {
  return {
    evalBatch: EVAL_BATCH,
    // "Tokens" of a ViT are its patches (the class token aside).
    tokensPerExample: numPatches(config),
    toTensors: (rows) => toTensors(rows, config.imageSize),
    logits: (model, batch) => model.apply(batch.images),
  };
}

/**
 * A training run of the ViT: AdamW, warmup + cosine, clipping, checkpoints in the run directory;
 * evaluations report test loss and accuracy.
 */
export class VisionRun extends ClassifierRun<VisionTransformer, Image, TensorBatch, VisionConfig> {
  constructor(
    config: VisionConfig,
    runDir: RunDir,
    /** `eval`: what evaluations use (the `--valid` images, else the test images). */
    data: { train: Image[]; eval: Image[] },
  ) {
    const model = new VisionTransformer(config.model, { rng: config.train.seed });
    super(config, runDir, model, visionTask(config), data, evalSplitOf(config.validPath));
  }
}
