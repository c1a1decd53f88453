import { createProgress, type Progress, type RunDir } from '@tformer/app-kit';
import { EncoderDecoder } from '@tformer/model';
import {
  AdamW,
  crossEntropy,
  type EvalMetrics,
  type Json,
  type LearningRateSchedule,
  NoamSchedule,
  Trainer,
  WarmupCosineSchedule,
} from '@tformer/train';
import { DirectoryCheckpointStore } from '@tformer/train/node';
import {
  type EncodedPair,
  sequentialBatches,
  shuffledBatches,
  type TensorBatch,
} from './batches.js';
import type { TranslateConfig } from './config.js';
import { PAD } from './vocab.js';

/** Held-out pairs per evaluation batch, and batches per evaluation (all of a small test split). */
const EVAL_BATCH = 50;

/** The paper's schedule, scaled so that its peak (at `warmupSteps`) is `learningRate`. */
function schedule({ model, train }: TranslateConfig): LearningRateSchedule {
  if (train.schedule === 'cosine') {
    return new WarmupCosineSchedule({
      peakLearningRate: train.learningRate,
      warmupSteps: train.warmupSteps,
      totalSteps: train.steps,
      minLearningRate: train.learningRate / 10,
    });
  }
  const unscaledPeak = model.dModel ** -0.5 * train.warmupSteps ** -0.5;
  return new NoamSchedule({
    dModel: model.dModel,
    warmupSteps: train.warmupSteps,
    factor: train.learningRate / unscaledPeak,
  });
}

/**
 * A training run: the encoder-decoder, its trainer (AdamW with the paper's β₂ 0.98, label-smoothed
 * cross-entropy that ignores padding, Noam or warmup-cosine, clipping, checkpoints in the run
 * directory). Progress and metrics go to the terminal and `metrics.jsonl`.
 */
export class TranslateRun {
  readonly model: EncoderDecoder;
  readonly trainer: Trainer<EncoderDecoder, TensorBatch>;
  private readonly optimizer: AdamW;
  private progress: Progress | undefined;
  private lastEval: EvalMetrics | undefined;

  constructor(
    readonly config: TranslateConfig,
    runDir: RunDir,
    data: { train: EncodedPair[]; test: EncodedPair[] },
  ) {
    const { train } = config;
    this.model = new EncoderDecoder(config.model, { rng: train.seed });
    this.optimizer = new AdamW(this.model.namedParameters(), {
      beta2: 0.98,
      epsilon: 1e-9,
      weightDecay: train.weightDecay,
    });
    const loss = (model: EncoderDecoder, batch: TensorBatch) =>
      crossEntropy(model.apply(batch.src, batch.tgtIn), batch.tgtOut, {
        labelSmoothing: train.labelSmoothing,
        ignoreIndex: PAD,
      });
    // Tokens per second counts the target tokens the loss is computed on.
    const countTokens = (batch: TensorBatch) => batch.tgtOut.size;
    this.trainer = new Trainer<EncoderDecoder, TensorBatch>({
      model: this.model,
      loss,
      optimizer: this.optimizer,
      schedule: schedule(config),
      data: shuffledBatches(data.train, train.batchSize, train.seed),
      evalData: sequentialBatches(data.test, EVAL_BATCH),
      evalEvery: train.evalEvery,
      evalBatches: Math.ceil(data.test.length / EVAL_BATCH),
      clipNorm: train.clipNorm,
      countTokens,
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
            await runDir.appendMetrics({ step: m.step, split: 'test', loss: m.loss });
          },
        },
      ],
    });
  }

  /**
   * Label-smoothed loss on the held-out pairs (teacher forcing) at the current step; reuses the
   * evaluation `fit` made at this step, so metrics.jsonl gets one record per step.
   */
  async testLoss(): Promise<number> {
    if (this.lastEval?.step === this.trainer.step) return this.lastEval.loss;
    return (await this.trainer.evaluate()).loss;
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
