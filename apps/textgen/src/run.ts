import * as tf from '@tensorflow/tfjs-core';
import { createProgress, type Progress, type RunDir } from '@tformer/app-kit';
import { DecoderLM } from '@tformer/model';
import {
  AdamW,
  crossEntropy,
  type DataSource,
  type Json,
  Trainer,
  WarmupCosineSchedule,
} from '@tformer/train';
import { DirectoryCheckpointStore } from '@tformer/train/node';
import { BatchStream, type BatchStreamState } from './batches.js';
import { type TextgenConfig, VALIDATION_FRACTION } from './config.js';
import type { TextTokenizer } from './tokenizers.js';

/** A batch as tensors: ids `[B, T]` and next-token targets `[B, T]`, int32. */
export interface TensorBatch {
  inputs: tf.Tensor2D;
  targets: tf.Tensor2D;
}

/** Windows of a token stream as tensor batches, with the stream's resumable position. */
function tensorBatches(stream: BatchStream): DataSource<TensorBatch> {
  return {
    next() {
      const { inputs, targets, batchSize, blockSize } = stream.next();
      return {
        inputs: tf.tensor2d(inputs, [batchSize, blockSize], 'int32'),
        targets: tf.tensor2d(targets, [batchSize, blockSize], 'int32'),
      };
    },
    state: () => stream.state() as unknown as Json,
    restore: (state) => stream.restore(state as unknown as BatchStreamState),
  };
}

/** Token ids of the training text, split into the training head and the validation tail. */
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
    new BatchStream(val, config.train.batchSize, config.model.blockSize, config.train.seed + 1),
  );
}

/** Mean next-token loss of `model` over the run's validation batches, in eval mode. */
export async function validationLoss(
  model: DecoderLM,
  config: TextgenConfig,
  val: Int32Array,
): Promise<number> {
  const batches = validationBatches(config, val);
  const wasTraining = model.training;
  model.eval();
  let sum = 0;
  try {
    for (let i = 0; i < config.train.evalBatches; i++) {
      const batch = batches.next() as TensorBatch;
      const loss = tf.tidy(() => nextTokenLoss(model, batch));
      sum += (await loss.data())[0]!;
      tf.dispose([loss, batch.inputs, batch.targets]);
    }
  } finally {
    model.train(wasTraining);
  }
  return sum / config.train.evalBatches;
}

/**
 * A training run: the model, its trainer (AdamW, warmup + cosine, clipping, checkpoints in the run
 * directory) and the data streams. Progress and metrics go to the terminal and `metrics.jsonl`.
 */
export class TextgenRun {
  readonly model: DecoderLM;
  readonly trainer: Trainer<DecoderLM, TensorBatch>;
  private readonly optimizer: AdamW;
  private progress: Progress | undefined;

  constructor(
    readonly config: TextgenConfig,
    readonly runDir: RunDir,
    readonly tokens: { train: Int32Array; val: Int32Array },
  ) {
    const { model: modelConfig, train } = config;
    this.model = new DecoderLM(modelConfig, { rng: train.seed });
    const tokensPerBatch = train.batchSize * modelConfig.blockSize;
    // β₂ 0.99 as nanoGPT's small-data configs: few tokens per step make the second moment noisy.
    this.optimizer = new AdamW(this.model.namedParameters(), {
      weightDecay: train.weightDecay,
      beta2: 0.99,
    });
    this.trainer = new Trainer<DecoderLM, TensorBatch>({
      model: this.model,
      loss: nextTokenLoss,
      optimizer: this.optimizer,
      schedule: new WarmupCosineSchedule({
        peakLearningRate: train.learningRate,
        warmupSteps: train.warmupSteps,
        totalSteps: train.steps,
        minLearningRate: train.minLearningRate,
      }),
      data: tensorBatches(
        new BatchStream(tokens.train, train.batchSize, modelConfig.blockSize, train.seed),
      ),
      evalData: validationBatches(config, tokens.val),
      evalEvery: train.evalEvery,
      evalBatches: train.evalBatches,
      clipNorm: train.clipNorm,
      countTokens: () => tokensPerBatch,
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
            await runDir.appendMetrics({
              step: m.step,
              split: 'val',
              loss: m.loss,
              perplexity: m.perplexity,
            });
          },
        },
      ],
    });
  }

  /** Validation loss (nats/token) over the run's fixed validation batches. */
  async validationLoss(): Promise<number> {
    return (await this.trainer.evaluate()).loss;
  }

  /** Trains until `config.train.steps` steps are done, with a progress display. */
  async fit(): Promise<void> {
    const total = this.config.train.steps;
    this.progress = createProgress({
      label: 'train',
      total,
      every: Math.max(1, Math.round(total / 10)),
    });
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
