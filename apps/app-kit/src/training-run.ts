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
import { InterruptedError } from './file-errors.js';
import { createProgress, type Progress } from './progress.js';
import { UsageError } from './run-cli.js';
import type { RunDir } from './run-dir.js';

/** The `train` block of every app's `config.json`: what its `train` flags set. */
export interface TrainSettings {
  steps: number;
  batchSize: number;
  /** Peak learning rate: the schedule warms up to it, then decays. */
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  evalEvery: number;
  seed: number;
}

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
  /**
   * The app's configuration, recorded in each checkpoint and written to `config.json` with the
   * first checkpoint of this process (not before: a run killed earlier leaves nothing that
   * `resume` would mistake for a run).
   */
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
  private configWritten = false;
  private interrupted: 'SIGINT' | 'SIGTERM' | undefined;

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
      nonFinite: { maxBadSteps: 5, learningRateFactor: 0.5 },
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
          onSkip: (s) => {
            process.stderr.write(
              `warning: step ${s.step} skipped: gradients not finite (${s.badSteps} in a row); learning rate ×${s.learningRateScale} from now on\n`,
            );
          },
          onCheckpoint: async () => {
            if (this.configWritten) return;
            await runDir.writeConfig(this.runConfig);
            this.configWritten = true;
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

  /**
   * Trains until `steps` steps are done, with a progress display. SIGINT or SIGTERM (Ctrl-C)
   * finish the step in progress, save a checkpoint and end with an {@link InterruptedError}
   * (one line, exit 130 or 143); a second signal exits at once.
   */
  async fit(): Promise<void> {
    this.progress = createProgress({ label: 'train', total: this.steps, start: this.trainer.step });
    const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
      if (this.interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
      this.interrupted = signal;
      process.stderr.write(
        `\n${signal}: saving a checkpoint after step ${this.trainer.step + 1} (${signal} again to quit now)\n`,
      );
      this.trainer.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await this.trainer.fit(this.steps);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      this.progress.stop();
      this.progress = undefined;
    }
    if (this.interrupted && this.trainer.stopped) {
      this.runDir.unlock();
      throw new InterruptedError(
        this.interrupted,
        `interrupted (${this.interrupted}) at step ${this.trainer.step} of ${this.steps}: checkpoint saved; continue with \`resume --out ${this.runDir.shown}\``,
      );
    }
  }

  /**
   * `resume`: restores the run directory's last checkpoint (a {@link UsageError} when there is
   * none), records the configuration when `saveConfig` (it changed, e.g. more `--steps`), and
   * trains on to `steps`.
   */
  async resumeAndFit({ saveConfig }: { saveConfig: boolean }): Promise<void> {
    await this.runDir.lock();
    const at = await this.trainer.resume();
    if (at === undefined) {
      throw new UsageError(
        `${this.runDir.shown}: nothing to resume: no checkpoint yet (the run was stopped before its first one); train again`,
      );
    }
    const dropped = await this.runDir.truncateMetrics(at);
    process.stdout.write(
      `resumed at step ${at} of ${this.steps}${dropped > 0 ? ` (${dropped} metrics.jsonl records after the checkpoint dropped)` : ''}\n`,
    );
    if (saveConfig) await this.runDir.writeConfig(this.runConfig);
    this.configWritten = true;
    await this.fit();
  }

  dispose(): void {
    this.runDir.unlock();
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
