import type { Module } from '@tformer/nn';
import {
  type DataSource,
  type EvalMetrics,
  type Json,
  type LearningRateSchedule,
  type LossFunction,
  type Optimizer,
  Trainer,
  WarmupCosineSchedule,
} from '@tformer/train';
import { DirectoryCheckpointStore } from '@tformer/train/node';
import { createProgress, type Progress } from './progress.js';
import { UsageError } from './run-cli.js';
import type { RunDir } from './run-dir.js';

/** What an app supplies to a {@link TrainingRun}. */
export interface TrainingRunOptions<M extends Module, B> {
  runDir: RunDir;
  model: M;
  /** Owned by the run from here on: disposed with it. */
  optimizer: Optimizer;
  schedule: LearningRateSchedule;
  loss: LossFunction<M, B>;
  data: DataSource<B>;
  evalData: DataSource<B>;
  evalBatches: number;
  /** How evaluations are labelled in metrics.jsonl. */
  evalSplit: 'val' | 'test';
  /** Steps in all; evaluate and checkpoint every `evalEvery`; clip the gradient norm. */
  steps: number;
  evalEvery: number;
  clipNorm: number;
  /** Tokens (positions, patches) a batch computes on, for tokens/s. */
  countTokens: (batch: B) => number;
  countCorrect?: (model: M, batch: B) => Promise<{ correct: number; total: number }>;
  /** The app's configuration, recorded in each checkpoint. */
  config: unknown;
}

/**
 * What every app's training run shares: a {@link Trainer} whose steps drive a progress display and
 * append to `metrics.jsonl`, whose evaluations are recorded there too, and whose checkpoints live
 * in the run directory (so `resume` continues exactly). Apps subclass it with their model, loss,
 * optimizer and data.
 */
export class TrainingRun<M extends Module, B> {
  readonly model: M;
  readonly trainer: Trainer<M, B>;
  readonly steps: number;
  private readonly runDir: RunDir;
  private readonly runConfig: unknown;
  private readonly optimizer: Optimizer;
  private progress: Progress | undefined;
  private lastEval: EvalMetrics | undefined;

  constructor(options: TrainingRunOptions<M, B>) {
    const { runDir, model, optimizer, evalSplit } = options;
    this.model = model;
    this.optimizer = optimizer;
    this.steps = options.steps;
    this.runDir = runDir;
    this.runConfig = options.config;
    this.trainer = new Trainer<M, B>({
      model,
      loss: options.loss,
      optimizer,
      schedule: options.schedule,
      data: options.data,
      evalData: options.evalData,
      evalEvery: options.evalEvery,
      evalBatches: options.evalBatches,
      clipNorm: options.clipNorm,
      countTokens: options.countTokens,
      ...(options.countCorrect ? { countCorrect: options.countCorrect } : {}),
      checkpoint: {
        store: new DirectoryCheckpointStore(runDir.checkpointsPath),
        every: options.evalEvery,
      },
      config: options.config as Json,
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
              split: evalSplit,
              loss: m.loss,
              ...(m.accuracy === undefined ? {} : { accuracy: m.accuracy }),
            });
          },
        },
      ],
    });
  }

  /**
   * Evaluation at the current step. Reuses the one `fit` made at this step, so metrics.jsonl gets
   * one record per step.
   */
  async evaluation(): Promise<EvalMetrics> {
    if (this.lastEval?.step === this.trainer.step) return this.lastEval;
    return this.trainer.evaluate();
  }

  /** Trains until `steps` steps are done, with a progress display. */
  async fit(): Promise<void> {
    this.progress = createProgress({ label: 'train', total: this.steps });
    this.progress.update(this.trainer.step);
    try {
      await this.trainer.fit(this.steps);
    } finally {
      this.progress.stop();
      this.progress = undefined;
    }
  }

  /**
   * `resume`: restores the run directory's last checkpoint (a {@link UsageError} when there is
   * none), records the configuration when `saveConfig` (it changed, e.g. more `--steps`), and
   * trains on to `steps`.
   */
  async resumeAndFit({ saveConfig }: { saveConfig: boolean }): Promise<void> {
    const at = await this.trainer.resume();
    if (at === undefined) {
      throw new UsageError(`${this.runDir.checkpointsPath}: no checkpoint to resume from`);
    }
    process.stdout.write(`resumed at step ${at} of ${this.steps}\n`);
    if (saveConfig) await this.runDir.writeConfig(this.runConfig);
    await this.fit();
  }

  dispose(): void {
    this.trainer.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Linear warmup to `learningRate`, then cosine decay to a tenth of it at `steps` (nanoGPT). */
export function warmupCosine(train: { learningRate: number; warmupSteps: number; steps: number }) {
  return new WarmupCosineSchedule({
    peakLearningRate: train.learningRate,
    warmupSteps: train.warmupSteps,
    totalSteps: train.steps,
    minLearningRate: train.learningRate / 10,
  });
}

/** A run's saved `config.json`, trained to `steps` in all when given (`resume --steps`). */
export async function resumedConfig<C extends { train: { steps: number } }>(
  runDir: RunDir,
  steps: number | undefined,
): Promise<C> {
  const saved = await runDir.readConfig<C>();
  return steps === undefined ? saved : { ...saved, train: { ...saved.train, steps } };
}
