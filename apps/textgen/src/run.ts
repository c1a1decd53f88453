import * as tf from '@tensorflow/tfjs-core';
import { type RunDir, TrainingRun, warmupCosine } from '@tformer/app-kit';
import { DecoderLM } from '@tformer/model';
import {
  AdamW,
  crossEntropy,
  type DataSource,
  evaluate,
  type Json,
  type LossFunction,
} from '@tformer/train';
import { type Batch, BatchStream, type BatchStreamState, coveringBatches } from './batches.js';
import { type TextgenConfig, VALIDATION_FRACTION } from './config.js';
import type { TextTokenizer } from './tokenizers.js';

/** A batch as tensors: ids `[B, T]` and next-token targets `[B, T]`, int32. */
export interface TensorBatch {
  inputs: tf.Tensor2D;
  targets: tf.Tensor2D;
}

const toTensors = ({ inputs, targets, batchSize, blockSize }: Batch): TensorBatch => ({
  inputs: tf.tensor2d(inputs, [batchSize, blockSize], 'int32'),
  targets: tf.tensor2d(targets, [batchSize, blockSize], 'int32'),
});

/** Windows of a token stream as tensor batches, with the stream's resumable position. */
function tensorBatches(stream: BatchStream): DataSource<TensorBatch> {
  return {
    next: () => toTensors(stream.next()),
    state: () => stream.state() as unknown as Json,
    restore: (state) => stream.restore(state as unknown as BatchStreamState),
  };
}

/** Token ids of the training text, split into the training head and the validation tail (without `--valid`). */
export function splitTokens(
  tokenizer: TextTokenizer,
  text: string,
): { train: Int32Array; val: Int32Array } {
  const ids = Int32Array.from(tokenizer.encode(text));
  const cut = Math.floor(ids.length * (1 - VALIDATION_FRACTION));
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

export const nextTokenLoss = (model: DecoderLM, batch: TensorBatch): tf.Scalar =>
  crossEntropy(model.apply(batch.inputs), batch.targets);

/** The validation batches every evaluation of a run uses: the same windows each time. */
export function validationBatches(config: TextgenConfig, val: Int32Array): DataSource<TensorBatch> {
  return tensorBatches(
    new BatchStream(val, config.train.batchSize, config.model.maxLength, config.train.seed + 1),
  );
}

/**
 * Mean next-token loss of `model` over the run's validation batches, in eval mode: the loop the
 * Trainer's evaluations run ({@link evaluate}), on the same batches.
 */
export async function validationLoss(
  model: DecoderLM,
  config: TextgenConfig,
  val: Int32Array,
): Promise<number> {
  const data = validationBatches(config, val);
  return (await evaluate({ model, loss: nextTokenLoss, data, batches: config.train.evalBatches }))
    .loss;
}

/**
 * Next-token loss of `model` per token over every token of `tokens` (consecutive windows of the
 * context length, {@link coveringBatches}), in eval mode.
 */
export async function heldOutLoss(
  model: DecoderLM,
  config: TextgenConfig,
  tokens: Int32Array,
): Promise<number> {
  const batches = coveringBatches(tokens, config.model.maxLength, config.train.batchSize);
  let i = 0;
  const data: DataSource<TensorBatch> = {
    next: () => toTensors(batches[i++]!),
    state: () => i,
    restore: (state) => {
      i = state as number;
    },
  };
  const weight = (batch: TensorBatch) => batch.targets.size;
  return (await evaluate({ model, loss: nextTokenLoss, data, batches: batches.length, weight }))
    .loss;
}

/**
 * A training run of the language model: AdamW (β₂ 0.99 as nanoGPT's small-data configs: few tokens
 * per step make the second moment noisy), warmup + cosine, clipping, checkpoints in the run
 * directory; evaluations report the validation loss.
 */
export class TextgenRun extends TrainingRun<DecoderLM, TensorBatch> {
  constructor(
    readonly config: TextgenConfig,
    runDir: RunDir,
    readonly tokens: { train: Int32Array; val: Int32Array },
    /** The training loss (default next-token cross-entropy; `distill` passes its own). */
    loss: LossFunction<DecoderLM, TensorBatch> = nextTokenLoss,
  ) {
    const { model: modelConfig, train } = config;
    const model = new DecoderLM(modelConfig, { rng: train.seed });
    super({
      runDir,
      model,
      optimizer: new AdamW(model.namedParameters(), {
        weightDecay: train.weightDecay,
        beta2: 0.99,
      }),
      schedule: warmupCosine(train),
      loss,
      data: tensorBatches(
        new BatchStream(tokens.train, train.batchSize, modelConfig.maxLength, train.seed),
      ),
      evalData: validationBatches(config, tokens.val),
      evalBatches: train.evalBatches,
      evalSplit: 'val',
      steps: train.steps,
      evalEvery: train.evalEvery,
      clipNorm: train.clipNorm,
      countTokens: () => train.batchSize * modelConfig.maxLength,
      config,
    });
  }

  /** Validation loss (nats/token) over the run's fixed validation batches. */
  async validationLoss(): Promise<number> {
    return (await this.evaluation()).loss;
  }
}
