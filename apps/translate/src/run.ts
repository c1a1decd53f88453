import { evalSplitOf, type RunDir, runBatches, TrainingRun, warmupCosine } from '@tformer/app-kit';
import { EncoderDecoder } from '@tformer/model';
import { AdamW, crossEntropy, type LearningRateSchedule, NoamSchedule } from '@tformer/train';
import { type EncodedPair, type TensorBatch, toTensors } from './batches.js';
import type { TranslateConfig } from './config.js';
import { PAD } from './vocab.js';

/** Held-out pairs per evaluation batch, and batches per evaluation (all of a small test split). */
const EVAL_BATCH = 50;

/** The paper's schedule, scaled so that its peak (at `warmupSteps`) is `learningRate`. */
function schedule({ model, train }: TranslateConfig): LearningRateSchedule {
  if (train.schedule === 'cosine') return warmupCosine(train);
  const unscaledPeak = model.dModel ** -0.5 * train.warmupSteps ** -0.5;
  return new NoamSchedule({
    dModel: model.dModel,
    warmupSteps: train.warmupSteps,
    factor: train.learningRate / unscaledPeak,
  });
}

/**
 * A training run of the encoder-decoder: AdamW with the paper's β₂ 0.98 and ε 1e-9,
 * label-smoothed cross-entropy that ignores padding, Noam or warmup-cosine, clipping,
 * checkpoints in the run directory.
 */
export class TranslateRun extends TrainingRun<EncoderDecoder, TensorBatch> {
  constructor(
    readonly config: TranslateConfig,
    runDir: RunDir,
    /** `eval`: what evaluations use (the `--valid` pairs, else the test pairs). */
    data: { train: EncodedPair[]; eval: EncodedPair[] },
  ) {
    const { train } = config;
    const model = new EncoderDecoder(config.model, { rng: train.seed });
    super({
      runDir,
      model,
      optimizer: new AdamW(model.namedParameters(), {
        beta2: 0.98,
        epsilon: 1e-9,
        weightDecay: train.weightDecay,
      }),
      schedule: schedule(config),
      loss: (m, batch) =>
        crossEntropy(m.apply(batch.src, batch.tgtIn), batch.tgtOut, {
          labelSmoothing: train.labelSmoothing,
          ignoreIndex: PAD,
        }),
      ...runBatches(train, data, EVAL_BATCH, toTensors),
      evalSplit: evalSplitOf(config.data?.valid),
      // Tokens per second counts the target tokens the loss is computed on.
      countTokens: (batch) => batch.tgtOut.size,
      config,
    });
  }

  /** What evaluations are on: 'val' with `--valid` files, else 'test'. */
  get evalSplit(): 'val' | 'test' {
    return evalSplitOf(this.config.data?.valid);
  }

  /** Label-smoothed loss on the evaluation pairs (teacher forcing) at the current step. */
  async evalLoss(): Promise<number> {
    return (await this.evaluation()).loss;
  }
}
