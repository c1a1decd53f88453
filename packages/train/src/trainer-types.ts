import type * as tf from '@tensorflow/tfjs-core';
import type { Module, RandomState } from '@tformer/nn';
import type { CheckpointStore } from './checkpoint-store.js';
import type { Optimizer } from './optimizer.js';
import type { LearningRateSchedule } from './schedule.js';

/** A JSON value: what positions, RNG states and configs must be to go into `trainer.json`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Something whose position can be saved and restored exactly: a data source, a random generator.
 * `restore(state())` must put it back where it was.
 */
export interface Resumable {
  state(): Json;
  restore(state: Json): void;
}

/**
 * Batches with a serialisable position, so that a resumed run sees the same batches as an
 * uninterrupted one. The Trainer disposes the tensors of every batch it takes (`tf.dispose`).
 */
export interface DataSource<B> extends Resumable {
  next(): B | Promise<B>;
}

/** The loss of a batch, computed inside the Trainer's gradient scope: return a scalar. */
export type LossFunction<M extends Module, B> = (model: M, batch: B) => tf.Scalar;

/** Metrics of one training step. */
export interface StepMetrics {
  /** Steps completed, this one included (1-based). */
  step: number;
  /** Mean training loss over the step's micro-batches. */
  loss: number;
  /** exp(loss), meaningful when the loss is a mean cross-entropy in nats. */
  perplexity: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** Global gradient norm before clipping (only with `clipNorm`). */
  gradNorm?: number;
  /** Tokens per second of this step (only with `countTokens`). */
  tokensPerSecond?: number;
  /** Wall time of this step, ms. */
  milliseconds: number;
  /**
   * True when the step's gradients were not finite and it was skipped: no update, `step` is the
   * step that was tried (the Trainer's count did not advance). Only `trainStep` returns such
   * metrics; `onStep` is not called for them (`onSkip` is).
   */
  skipped?: true;
}

/** A step skipped because its gradients were NaN or ±Infinity. */
export interface SkippedStep {
  /** The step that was tried (1-based); the Trainer's count stays at `step - 1`. */
  step: number;
  /** Skipped steps in a row, this one included. */
  badSteps: number;
  /** The step's (finite) loss. */
  loss: number;
  /** The learning-rate factor from now on (after `learningRateFactor` was applied). */
  learningRateScale: number;
}

/** Metrics of one evaluation. */
export interface EvalMetrics {
  /** The training step after which it ran. */
  step: number;
  /** Mean loss over the evaluation batches. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Correct / counted over all evaluation batches (only with `countCorrect`). */
  accuracy?: number;
}

/** Hooks called by the Trainer; each may be async (the Trainer awaits it). */
export interface TrainerCallbacks {
  onStep?(metrics: StepMetrics): void | Promise<void>;
  onEval?(metrics: EvalMetrics): void | Promise<void>;
  onCheckpoint?(info: { step: number }): void | Promise<void>;
  onSkip?(info: SkippedStep): void | Promise<void>;
}

/** What the Trainer does about a step whose gradients are not finite (the loss being finite). */
export interface NonFiniteOptions {
  /**
   * Bad steps in a row after which training stops with `NonFiniteGradientError`. Default 5.
   */
  maxBadSteps?: number;
  /**
   * Multiplies the learning rate of every later step after each bad step (e.g. 0.5); saved in
   * checkpoints. Default 1: the schedule's rate, unchanged.
   */
  learningRateFactor?: number;
}

/** Options of the {@link Trainer}. */
export interface TrainerOptions<M extends Module, B> {
  model: M;
  loss: LossFunction<M, B>;
  optimizer: Optimizer;
  schedule: LearningRateSchedule;
  data: DataSource<B>;
  /** Evaluation batches; each evaluation restarts them from the position they had at construction. */
  evalData?: DataSource<B>;
  /** Evaluate every this many steps (needs `evalData`). Default: never during `fit`. */
  evalEvery?: number;
  /** Batches per evaluation. Default 1. */
  evalBatches?: number;
  /**
   * A batch's weight in an evaluation's mean loss, e.g. its examples or target tokens, so that a
   * short last batch counts for what it holds. Default 1 per batch (the mean of batch losses).
   */
  evalWeight?: (batch: B) => number;
  /**
   * Correct and counted predictions of a batch, for accuracy in evaluations (it runs its own
   * forward pass, e.g. with the `countCorrect` function on the logits).
   */
  countCorrect?: (model: M, batch: B) => Promise<{ correct: number; total: number }>;
  /** Tokens in a batch, for tokens/s. */
  countTokens?: (batch: B) => number;
  /** Micro-batches whose gradients are averaged per optimizer step. Default 1. */
  accumulationSteps?: number;
  /** Clip the global gradient norm to this value. Default: no clipping. */
  clipNorm?: number;
  /**
   * A generator the loss or data pipeline draws from, saved in checkpoints. The model's own
   * generators (its `Dropout` layers', attention dropout's) need not be given: checkpoints save
   * `model.randomState()` anyway.
   */
  rng?: Resumable;
  /** Where and how often to checkpoint; `fit` also checkpoints when it ends. */
  checkpoint?: { store: CheckpointStore; every?: number };
  /**
   * Steps whose gradients are NaN or ±Infinity are skipped (no update, not checkpointed); this
   * sets how many in a row stop training, and whether the learning rate is lowered. A
   * non-finite *loss* still stops at once with `NonFiniteLossError`.
   */
  nonFinite?: NonFiniteOptions;
  /** Anything to record in `trainer.json` (hyper-parameters, model config). */
  config?: Json;
  callbacks?: TrainerCallbacks[];
}

/** The contents of `trainer.json`. */
export interface TrainerState {
  format: 'tformer-trainer';
  version: 1;
  step: number;
  optimizerIterations: number;
  data: Json;
  rng: Json;
  /**
   * `model.randomState()`: every generator the model registered (dropout), by dotted name.
   * Absent in checkpoints written before it existed; resuming one of those leaves the model's
   * generators as they are.
   */
  modelRng?: RandomState;
  schedule: Json;
  optimizer: Json;
  /** The factor the learning rate is multiplied by after bad steps; absent when 1. */
  learningRateScale?: number;
  config: Json;
}
