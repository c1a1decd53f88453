import * as tf from '@tensorflow/tfjs-core';
import { type Module, safetensorsToStateDict, stateDictToSafetensors } from '@tformer/nn';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { CheckpointError, InvalidArgumentError, NonFiniteLossError } from './errors.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { type ScheduleConfig, scheduleFromConfig } from './schedule.js';
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
const STATE_FILE = 'trainer.json';

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

  constructor(options: TrainerOptions<M, B>) {
    checkInteger('options.accumulationSteps', options.accumulationSteps ?? 1, 1);
    checkInteger('options.evalBatches', options.evalBatches ?? 1, 1);
    if (options.evalEvery !== undefined) checkInteger('options.evalEvery', options.evalEvery, 1);
    if (options.checkpoint?.every !== undefined)
      checkInteger('options.checkpoint.every', options.checkpoint.every, 1);
    if (options.clipNorm !== undefined)
      checkNumber('options.clipNorm', options.clipNorm, { min: 0, minExclusive: true });
    this.options = options;
    this.schedule = options.schedule;
    this.evalStart = options.evalData?.state();
  }

  /** Optimizer steps completed. */
  get step(): number {
    return this.completed;
  }

  /** Runs steps until `totalSteps` are complete, evaluating and checkpointing as configured. */
  async fit(totalSteps: number): Promise<void> {
    checkInteger('totalSteps', totalSteps, 0);
    const { evalEvery, evalData, checkpoint } = this.options;
    while (this.completed < totalSteps) {
      await this.trainStep();
      if (evalData && evalEvery && this.completed % evalEvery === 0) await this.evaluate();
      if (checkpoint?.every && this.completed % checkpoint.every === 0) await this.saveCheckpoint();
    }
    if (checkpoint && this.completed > 0 && this.savedStep !== this.completed)
      await this.saveCheckpoint();
  }

  /** One optimizer step over `accumulationSteps` micro-batches; returns its metrics. */
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
    const learningRate = this.schedule.learningRate(stepNumber);
    const params = model.trainableParameters();
    let lossSum = 0;
    let tokens = 0;
    let single: tf.NamedTensorMap | undefined;
    this.accumulator.reset();
    for (let micro = 0; micro < accumulationSteps; micro++) {
      const batch = await data.next();
      if (countTokens) tokens += countTokens(batch);
      const { value, grads } = tf.variableGrads(() => loss(model, batch), params);
      tf.dispose(batch as tf.TensorContainer);
      const lossValue = (await value.data())[0]!;
      value.dispose();
      if (!Number.isFinite(lossValue)) {
        tf.dispose(grads);
        throw new NonFiniteLossError(stepNumber, lossValue);
      }
      lossSum += lossValue;
      if (accumulationSteps === 1) {
        single = grads; // one micro-batch: its gradients are the mean, no copy needed
      } else {
        this.accumulator.add(grads);
        tf.dispose(grads);
      }
    }
    let grads = single ?? this.accumulator.mean();
    let gradNorm: number | undefined;
    if (clipNorm !== undefined) {
      const clipped = clipByGlobalNorm(grads, clipNorm);
      tf.dispose(grads);
      grads = clipped.grads;
      gradNorm = (await clipped.norm.data())[0]!;
      clipped.norm.dispose();
    }
    optimizer.step(grads, learningRate);
    tf.dispose(grads);
    this.completed = stepNumber;
    const milliseconds = performance.now() - started;
    const meanLoss = lossSum / accumulationSteps;
    const metrics: StepMetrics = {
      step: stepNumber,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
      learningRate,
      milliseconds,
    };
    if (gradNorm !== undefined) metrics.gradNorm = gradNorm;
    if (countTokens) metrics.tokensPerSecond = tokens / (milliseconds / 1000);
    for (const callback of this.options.callbacks ?? []) await callback.onStep?.(metrics);
    return metrics;
  }

  /**
   * Mean loss (and accuracy with `countCorrect`) over `evalBatches` batches of `evalData`, in
   * eval mode (no dropout), always from the same starting position so evaluations compare.
   */
  async evaluate(): Promise<EvalMetrics> {
    const { model, loss, evalData, evalBatches = 1, countCorrect } = this.options;
    if (!evalData)
      throw new InvalidArgumentError('options.evalData', 'a data source to evaluate on', 'none');
    const wasTraining = model.training;
    model.eval();
    evalData.restore(this.evalStart as Json);
    let lossSum = 0;
    let correct = 0;
    let total = 0;
    try {
      for (let i = 0; i < evalBatches; i++) {
        const batch = await evalData.next();
        const value = tf.tidy(() => loss(model, batch));
        lossSum += (await value.data())[0]!;
        value.dispose();
        if (countCorrect) {
          const counts = await countCorrect(model, batch);
          correct += counts.correct;
          total += counts.total;
        }
        tf.dispose(batch as tf.TensorContainer);
      }
    } finally {
      model.train(wasTraining);
    }
    const meanLoss = lossSum / evalBatches;
    const metrics: EvalMetrics = {
      step: this.completed,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
    };
    if (countCorrect) metrics.accuracy = total > 0 ? correct / total : 0;
    for (const callback of this.options.callbacks ?? []) await callback.onEval?.(metrics);
    return metrics;
  }

  /** Writes a checkpoint of the current state to the configured store. */
  async saveCheckpoint(): Promise<void> {
    const { checkpoint, model, optimizer, data, rng, config } = this.options;
    if (!checkpoint)
      throw new CheckpointError('saveCheckpoint', 'no checkpoint store was given to the Trainer');
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
      config: config ?? null,
    };
    await checkpoint.store.save({
      [MODEL_FILE]: await stateDictToSafetensors(model.stateDict()),
      [OPTIMIZER_FILE]: await stateDictToSafetensors(Object.fromEntries(optimizer.stateDict())),
      [STATE_FILE]: new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`),
    });
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
    const state = JSON.parse(new TextDecoder().decode(files[STATE_FILE])) as TrainerState;
    if (state.format !== 'tformer-trainer' || state.version !== 1) {
      throw new CheckpointError(
        STATE_FILE,
        `expected format 'tformer-trainer' version 1, got '${state.format}' version ${state.version}`,
      );
    }
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
    this.schedule = scheduleFromConfig(state.schedule as unknown as ScheduleConfig);
    this.completed = state.step;
    this.savedStep = state.step;
    return state.step;
  }

  /** Frees the accumulator's buffers (the model and optimizer stay the caller's). */
  dispose(): void {
    this.accumulator.dispose();
  }
}
