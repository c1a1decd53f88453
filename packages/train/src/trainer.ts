import * as tf from '@tensorflow/tfjs-core';
import { type Module, safetensorsToStateDict, stateDictToSafetensors } from '@tformer/nn';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import {
  CheckpointError,
  InvalidArgumentError,
  NonFiniteGradientError,
  NonFiniteLossError,
} from './errors.js';
import { evaluate } from './evaluate.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { parseTrainerState, STATE_FILE } from './trainer-state.js';
import type {
  EvalMetrics,
  Json,
  StepMetrics,
  TrainerOptions,
  TrainerState,
} from './trainer-types.js';
import { checkInteger, checkNumber } from './validate.js';

const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';

/**
 * A model-agnostic training loop: it takes any `Module`, a loss `(model, batch) => scalar`, an
 * optimizer, a learning-rate schedule and a data source with a serialisable position, and runs
 * steps (gradient accumulation, global-norm clipping), periodic evaluation (loss, perplexity,
 * accuracy), callbacks, and checkpoints that resume exactly.
 *
 * Guarantees:
 * - the number of live tensors does not grow from step to step;
 * - a NaN or infinite loss throws {@link NonFiniteLossError} before that step's update and before
 *   any checkpoint, so neither the weights nor the last checkpoint see it;
 * - a step whose gradients are NaN or infinite (with a finite loss) is skipped: no update, no
 *   checkpoint of it, `onSkip` instead of `onStep`, optionally a lower learning rate from then on;
 *   `nonFinite.maxBadSteps` (5) such steps in a row throw {@link NonFiniteGradientError}. The
 *   check runs on the device (a count of non-finite gradient elements, one reduction) and is read
 *   together with the loss and gradient norm: one device read per step;
 * - a checkpoint is never written with non-finite weights ({@link CheckpointError});
 * - a checkpoint holds weights, optimizer moments and step count, data position, RNG state (the
 *   optional `rng` and every generator the model registered, e.g. its dropout layers') and
 *   schedule, so `resume()` followed by training gives the same losses as never stopping (on the
 *   same backend), dropout included.
 *
 * @param options the model, loss, optimizer, schedule and data (required); evaluation data and
 *   cadence, accuracy and token counters, accumulation, clipping, RNG, checkpoint store and
 *   cadence, callbacks (optional): see {@link TrainerOptions}.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({
 *   model, optimizer: new AdamW(model.namedParameters()),
 *   schedule: new WarmupCosineSchedule({ peakLearningRate: 1e-3, warmupSteps: 10, totalSteps: 100 }),
 *   data, loss: (m, b) => crossEntropy(m.apply(b.x), b.y),
 *   checkpoint: { store: new DirectoryCheckpointStore('ckpt'), every: 50 },
 * });
 * await trainer.resume();   // no-op on a fresh run
 * await trainer.fit(100);
 * ```
 */
export class Trainer<M extends Module, B> {
  /** The schedule in use; `resume()` replaces it with the checkpoint's. */
  schedule: TrainerOptions<M, B>['schedule'];
  private readonly options: TrainerOptions<M, B>;
  private readonly accumulator = new GradientAccumulator();
  private readonly evalStart: Json | undefined;
  private completed = 0;
  /** The step of the last checkpoint written or loaded, so `fit` does not write it twice. */
  private savedStep: number | undefined;
  private lastEval: EvalMetrics | undefined;
  private badSteps = 0;
  private learningRateScale = 1;
  private stopRequested = false;

  constructor(options: TrainerOptions<M, B>) {
    checkInteger('options.accumulationSteps', options.accumulationSteps ?? 1, 1);
    checkInteger('options.evalBatches', options.evalBatches ?? 1, 1);
    if (options.evalEvery !== undefined) checkInteger('options.evalEvery', options.evalEvery, 1);
    if (options.checkpoint?.every !== undefined)
      checkInteger('options.checkpoint.every', options.checkpoint.every, 1);
    if (options.clipNorm !== undefined)
      checkNumber('options.clipNorm', options.clipNorm, { min: 0, minExclusive: true });
    checkInteger('options.nonFinite.maxBadSteps', options.nonFinite?.maxBadSteps ?? 5, 1);
    checkNumber(
      'options.nonFinite.learningRateFactor',
      options.nonFinite?.learningRateFactor ?? 1,
      {
        min: 0,
        minExclusive: true,
        max: 1,
      },
    );
    this.options = options;
    this.schedule = options.schedule;
    this.evalStart = options.evalData?.state();
  }

  /** Optimizer steps completed. */
  get step(): number {
    return this.completed;
  }

  /**
   * Runs steps until `totalSteps` are complete (or {@link stop} is called), evaluating and
   * checkpointing as configured; with a checkpoint store, it checkpoints the last step before it
   * returns.
   */
  async fit(totalSteps: number): Promise<void> {
    checkInteger('totalSteps', totalSteps, 0);
    const { evalEvery, evalData, checkpoint } = this.options;
    this.stopRequested = false;
    while (this.completed < totalSteps && !this.stopRequested) {
      const metrics = await this.trainStep();
      if (metrics.skipped) continue;
      if (evalData && evalEvery && this.completed % evalEvery === 0) await this.evaluate();
      if (checkpoint?.every && this.completed % checkpoint.every === 0) await this.saveCheckpoint();
    }
    if (checkpoint && this.completed > 0 && this.savedStep !== this.completed)
      await this.saveCheckpoint();
  }

  /**
   * Asks a running {@link fit} to return after the step in progress (checkpointed, with a store):
   * what an app calls on SIGINT. Safe to call from a signal handler; a no-op outside `fit`.
   */
  stop(): void {
    this.stopRequested = true;
  }

  /** True when the last `fit` returned because of {@link stop}. */
  get stopped(): boolean {
    return this.stopRequested;
  }

  /**
   * One optimizer step over `accumulationSteps` micro-batches; returns its metrics. The loss, the
   * gradient norm and the count of non-finite gradient elements are computed on the device and
   * read in one transfer. A non-finite loss throws {@link NonFiniteLossError}; non-finite
   * gradients skip the step (metrics with `skipped: true`) or, after `nonFinite.maxBadSteps` in a
   * row, throw {@link NonFiniteGradientError}.
   */
  async trainStep(): Promise<StepMetrics> {
    const {
      model,
      loss,
      data,
      optimizer,
      clipNorm,
      countTokens,
      accumulationSteps = 1,
    } = this.options;
    const started = performance.now();
    const stepNumber = this.completed + 1;
    const learningRate = this.schedule.learningRate(stepNumber) * this.learningRateScale;
    const params = model.trainableParameters();
    let tokens = 0;
    let lossSum: tf.Scalar | undefined;
    let single: tf.NamedTensorMap | undefined;
    this.accumulator.reset();
    for (let micro = 0; micro < accumulationSteps; micro++) {
      const batch = await data.next();
      if (countTokens) tokens += countTokens(batch);
      const { value, grads: raw } = tf.variableGrads(() => loss(model, batch), params);
      tf.dispose(batch as tf.TensorContainer);
      // Packed into the optimizer's layout once: accumulation, clipping, the non-finite check and
      // the update then run over a few buffers instead of every parameter.
      const grads = optimizer.packGradients?.(raw) ?? raw;
      if (grads !== raw) tf.dispose(raw);
      if (lossSum === undefined) {
        lossSum = value;
      } else {
        const next = tf.add(lossSum, value) as tf.Scalar;
        tf.dispose([lossSum, value]);
        lossSum = next;
      }
      if (accumulationSteps === 1) {
        single = grads; // one micro-batch: its gradients are the mean, no copy needed
      } else {
        this.accumulator.add(grads);
        tf.dispose(grads);
      }
    }
    let grads = single ?? this.accumulator.mean();
    let norm: tf.Scalar | undefined;
    if (clipNorm !== undefined) {
      const clipped = clipByGlobalNorm(grads, clipNorm);
      tf.dispose(grads);
      grads = clipped.grads;
      norm = clipped.norm;
    }
    // One read per step: [loss sum, norm, non-finite gradient elements].
    const summary = tf.tidy(() =>
      tf.stack([lossSum!, norm ?? tf.scalar(0), nonFiniteCount(Object.values(grads))]),
    );
    tf.dispose([lossSum!, ...(norm ? [norm] : [])]);
    const [lossTotal, normValue, badElements] = await summary.data();
    summary.dispose();
    const meanLoss = lossTotal! / accumulationSteps;
    if (!Number.isFinite(meanLoss)) {
      tf.dispose(grads);
      throw new NonFiniteLossError(stepNumber, meanLoss);
    }
    if (badElements! > 0) {
      tf.dispose(grads);
      return this.skip(stepNumber, meanLoss, learningRate, performance.now() - started);
    }
    optimizer.step(grads, learningRate);
    tf.dispose(grads);
    this.badSteps = 0;
    this.completed = stepNumber;
    const milliseconds = performance.now() - started;
    const metrics: StepMetrics = {
      step: stepNumber,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
      learningRate,
      milliseconds,
    };
    if (clipNorm !== undefined) metrics.gradNorm = normValue!;
    if (countTokens) metrics.tokensPerSecond = tokens / (milliseconds / 1000);
    for (const callback of this.options.callbacks ?? []) await callback.onStep?.(metrics);
    return metrics;
  }

  private async skip(
    step: number,
    loss: number,
    learningRate: number,
    milliseconds: number,
  ): Promise<StepMetrics> {
    const { maxBadSteps = 5, learningRateFactor = 1 } = this.options.nonFinite ?? {};
    this.badSteps++;
    if (this.badSteps >= maxBadSteps) throw new NonFiniteGradientError(step, this.badSteps);
    this.learningRateScale *= learningRateFactor;
    const info = {
      step,
      badSteps: this.badSteps,
      loss,
      learningRateScale: this.learningRateScale,
    };
    for (const callback of this.options.callbacks ?? []) await callback.onSkip?.(info);
    return {
      step,
      loss,
      perplexity: Math.exp(loss),
      learningRate,
      milliseconds,
      skipped: true,
    };
  }

  /**
   * Mean loss (and accuracy with `countCorrect`) over `evalBatches` batches of `evalData`, in
   * eval mode (no dropout), always from the same starting position so evaluations compare.
   */
  async evaluate(): Promise<EvalMetrics> {
    const { model, loss, evalData, evalBatches = 1, countCorrect, evalWeight } = this.options;
    if (!evalData)
      throw new InvalidArgumentError('options.evalData', 'a data source to evaluate on', 'none');
    evalData.restore(this.evalStart as Json);
    const { loss: meanLoss, accuracy } = await evaluate({
      model,
      loss,
      data: evalData,
      batches: evalBatches,
      ...(countCorrect ? { countCorrect } : {}),
      ...(evalWeight ? { weight: evalWeight } : {}),
    });
    const metrics: EvalMetrics = {
      step: this.completed,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
    };
    if (accuracy !== undefined) metrics.accuracy = accuracy;
    this.lastEval = metrics;
    for (const callback of this.options.callbacks ?? []) await callback.onEval?.(metrics);
    return metrics;
  }

  /**
   * Writes a checkpoint of the current state to the configured store (with the step, and the
   * validation loss of an evaluation at this step, for stores that rank checkpoints). Refuses
   * non-finite weights with a {@link CheckpointError}: the previous checkpoint stays the last.
   */
  async saveCheckpoint(): Promise<void> {
    const { checkpoint, model, optimizer, data, rng, config } = this.options;
    if (!checkpoint)
      throw new CheckpointError('saveCheckpoint', 'no checkpoint store was given to the Trainer');
    const bad = nonFiniteCount(model.trainableParameters());
    const badWeights = (await bad.data())[0]!;
    bad.dispose();
    if (badWeights > 0) {
      throw new CheckpointError(
        MODEL_FILE,
        `${badWeights} weights are not finite at step ${this.completed}: not written, the previous checkpoint is kept`,
      );
    }
    const state: TrainerState = {
      format: 'tformer-trainer',
      version: 1,
      step: this.completed,
      optimizerIterations: optimizer.iterations,
      data: data.state(),
      rng: rng ? rng.state() : null,
      modelRng: model.randomState(),
      schedule: this.schedule.getConfig() as unknown as Json,
      optimizer: optimizer.getConfig(),
      ...(this.learningRateScale === 1 ? {} : { learningRateScale: this.learningRateScale }),
      config: config ?? null,
    };
    const validationLoss = this.lastEval?.step === this.completed ? this.lastEval.loss : undefined;
    const optimizerBytes = await stateDictToSafetensors(Object.fromEntries(optimizer.stateDict()));
    // The grouped AdamW splits its moments out for stateDict(); they are in bytes now.
    optimizer.releaseStateDict?.();
    await checkpoint.store.save(
      {
        [MODEL_FILE]: await stateDictToSafetensors(model.stateDict()),
        [OPTIMIZER_FILE]: optimizerBytes,
        [STATE_FILE]: new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`),
      },
      { step: this.completed, ...(validationLoss === undefined ? {} : { validationLoss }) },
    );
    this.savedStep = this.completed;
    for (const callback of this.options.callbacks ?? [])
      await callback.onCheckpoint?.({ step: this.completed });
  }

  /**
   * Loads the store's checkpoint, if any, into the model (weights and the generators of
   * `model.randomState()`), optimizer, data source, RNG, schedule and step count. Returns the
   * step it resumed at, or `undefined` when there was none.
   */
  async resume(): Promise<number | undefined> {
    const { checkpoint, model, optimizer, data, rng } = this.options;
    if (!checkpoint)
      throw new CheckpointError('resume', 'no checkpoint store was given to the Trainer');
    const files = await checkpoint.store.load();
    if (!files) return undefined;
    for (const name of [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE]) {
      if (!files[name]) throw new CheckpointError(name, 'missing from the checkpoint');
    }
    const { state, schedule } = parseTrainerState(files[STATE_FILE]!);
    if (rng && state.rng === null)
      throw new CheckpointError(STATE_FILE, 'the Trainer has an rng but the checkpoint saved none');
    const weights = safetensorsToStateDict(files[MODEL_FILE]!).state;
    const moments = safetensorsToStateDict(files[OPTIMIZER_FILE]!).state;
    try {
      model.loadStateDict(weights);
      optimizer.loadStateDict(moments, state.optimizerIterations);
    } finally {
      tf.dispose([weights, moments]);
    }
    // `modelRng` was added without a version bump: it is optional, so version-1 checkpoints
    // written before it still resume (with the model's generators left as they are, as they
    // always were), and older readers ignore it. Strict: a checkpoint of another architecture
    // fails here, as its weights would, rather than resuming with some masks not restored.
    if (state.modelRng !== undefined) model.loadRandomState(state.modelRng);
    data.restore(state.data);
    if (rng) rng.restore(state.rng);
    this.schedule = schedule;
    this.learningRateScale = state.learningRateScale ?? 1;
    this.badSteps = 0;
    this.completed = state.step;
    this.savedStep = state.step;
    return state.step;
  }

  /** Frees the accumulator's buffers (the model and optimizer stay the caller's). */
  dispose(): void {
    this.accumulator.dispose();
  }
}

/** The number of NaN and ±Infinity elements over all `tensors`, as a float32 scalar on the device. */
function nonFiniteCount(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    const counts = tensors.map((t) =>
      tf.sum(tf.cast(tf.logicalOr(tf.isNaN(t), tf.isInf(t)), 'float32')),
    );
    // A tree of addN of at most 4 inputs: one addN over every parameter gives wrong sums on
    // WebGPU past the adapter's storage-buffer limit.
    let level: tf.Tensor[] = counts;
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += 4) {
        const chunk = level.slice(i, i + 4);
        next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
      }
      level = next;
    }
    return level[0] as tf.Scalar;
  });
}
