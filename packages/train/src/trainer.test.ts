import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Dense, Dropout, Module, safetensorsToStateDict } from '@tformer/nn';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AdamW } from './adamw.js';
import { countCorrect } from './classification-metrics.js';
import { ConstantSchedule } from './constant-schedule.js';
import { crossEntropy } from './cross-entropy.js';
import { DirectoryCheckpointStore } from './directory-checkpoint-store.js';
import { CheckpointError, NonFiniteGradientError, NonFiniteLossError } from './errors.js';
import { MemoryCheckpointStore } from './memory-checkpoint-store.js';
import { Trainer } from './trainer.js';
import type { DataSource, Json, Resumable, StepMetrics, TrainerOptions } from './trainer-types.js';
import { WarmupCosineSchedule } from './warmup-cosine-schedule.js';

const [IN, HIDDEN, CLASSES, BATCH] = [4, 8, 3, 6];

class TinyClassifier extends Module {
  readonly hidden: Dense;
  readonly drop: Dropout;
  readonly out: Dense;
  constructor(seed: number, dropout = 0) {
    super();
    this.hidden = this.addModule(
      'hidden',
      new Dense({ inputDim: IN, outputDim: HIDDEN, rng: seed }),
    );
    // Its generator is seeded by `seed` too: a fresh model starts with other masks.
    this.drop = this.addModule('drop', new Dropout({ rate: dropout, rng: seed + 2 }));
    this.out = this.addModule(
      'out',
      new Dense({ inputDim: HIDDEN, outputDim: CLASSES, rng: seed + 1 }),
    );
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out.apply(this.drop.apply(tf.relu(this.hidden.apply(x)))));
  }
}

/** A deterministic LCG with a saveable state, standing in for a dropout generator. */
class Lcg implements Resumable {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s * 1664525 + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
  state(): Json {
    return this.s;
  }
  restore(state: Json): void {
    this.s = state as number;
  }
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/** Batch i is a pure function of i: points whose class is the arg-max of three fixed projections. */
class SyntheticData implements DataSource<Batch> {
  private position = 0;
  constructor(private readonly offset = 0) {}
  next(): Batch {
    const rng = new Lcg(this.offset + 7919 * ++this.position);
    const x = Array.from({ length: BATCH * IN }, () => rng.next() * 2 - 1);
    const y = Array.from({ length: BATCH }, (_, b) => {
      const r = x.slice(b * IN, b * IN + IN);
      const scores = [r[0]! + r[1]!, r[2]! - r[0]!, r[3]! - r[1]!];
      return scores.indexOf(Math.max(...scores));
    });
    return { x: tf.tensor2d(x, [BATCH, IN]), y: tf.tensor1d(y, 'int32') };
  }
  state(): Json {
    return { position: this.position };
  }
  restore(state: Json): void {
    this.position = (state as { position: number }).position;
  }
}

/** Rows [0, split) of `rows`, then rows [split, end), again and again: batches of two sizes. */
class UnevenData implements DataSource<Batch> {
  private position = 0;
  constructor(
    private readonly rows: Batch,
    private readonly split: number,
  ) {}
  next(): Batch {
    const first = this.position++ % 2 === 0;
    const [begin, size] = first ? [0, this.split] : [this.split, this.rows.y.size - this.split];
    return {
      x: tf.slice(this.rows.x, [begin, 0], [size, IN]),
      y: tf.slice(this.rows.y, [begin], [size]),
    };
  }
  state(): Json {
    return { position: this.position };
  }
  restore(state: Json): void {
    this.position = (state as { position: number }).position;
  }
}

/** Trainer options for a fresh model; the loss adds noise from `rng` as dropout would. */
function setup(
  seed: number,
  { dropout, ...extra }: Partial<TrainerOptions<TinyClassifier, Batch>> & { dropout?: number } = {},
  poisoned = () => false,
  badGradients = () => false,
) {
  const model = new TinyClassifier(seed, dropout);
  const rng = new Lcg(12345);
  const optimizer = new AdamW(model.namedParameters(), { weightDecay: 0.01 });
  const trainer = new Trainer<TinyClassifier, Batch>({
    model,
    optimizer,
    schedule: new WarmupCosineSchedule({ peakLearningRate: 0.05, warmupSteps: 2, totalSteps: 40 }),
    data: new SyntheticData(),
    rng,
    loss: (m, b) => {
      const noise = tf.mul(
        tf.tensor2d(
          Array.from({ length: BATCH * IN }, () => rng.next() - 0.5),
          [BATCH, IN],
        ),
        0.1,
      );
      const loss = crossEntropy(m.apply(tf.add(b.x, noise)), b.y, { labelSmoothing: 0.1 });
      if (badGradients()) return nanGradient(loss);
      return poisoned() ? tf.mul(loss, Number.NaN) : loss;
    },
    clipNorm: 1,
    ...extra,
  });
  const dispose = () => {
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  };
  return { model, optimizer, trainer, dispose };
}

/** Callbacks that push each step's loss onto `losses`. */
const record = (losses: number[]) => [{ onStep: (m: StepMetrics) => void losses.push(m.loss) }];

/** The losses of `fit(steps)` on a fresh `setup(seed, options)`: the run a resumed one must equal. */
async function uninterruptedLosses(
  seed: number,
  options: Parameters<typeof setup>[1],
  steps: number,
): Promise<number[]> {
  const losses: number[] = [];
  const run = setup(seed, { ...options, callbacks: record(losses) });
  await run.trainer.fit(steps);
  run.dispose();
  return losses;
}

/**
 * Fits `run` for `good` steps, calls `fault()` (which makes the next steps non-finite) and returns
 * what `fit(6)` then throws, after checking that the stop left the step, the weights and the last
 * checkpoint in `store` as they were after step `good`.
 */
async function stoppedFit(
  run: ReturnType<typeof setup>,
  store: MemoryCheckpointStore,
  good: number,
  fault: () => void,
): Promise<unknown> {
  await run.trainer.fit(good);
  const saved = await store.load();
  const weightsOf = () => run.model.namedParameters().map(([, v]) => Array.from(v.dataSync()));
  const weights = weightsOf();
  fault();
  const error = await run.trainer.fit(6).catch((e: unknown) => e);
  expect(run.trainer.step).toBe(good);
  expect(weightsOf()).toEqual(weights);
  expect(await store.load()).toEqual(saved);
  return error;
}

/** `x` itself, with a NaN gradient: a finite loss whose gradients are not finite. */
const nanGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.mul(dy, Number.NaN),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Scalar) => tf.Scalar;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tformer-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeWithBackends('Trainer', (backend) => {
  it('learns a separable problem and reports loss, perplexity, accuracy, tokens/s and callbacks', async () => {
    const steps: StepMetrics[] = [];
    const evals: number[] = [];
    const { trainer, dispose } = setup(1, {
      evalData: new SyntheticData(10_000),
      evalBatches: 4,
      evalEvery: 20,
      countTokens: (b) => b.y.size,
      countCorrect: (m, b) => {
        const logits = m.apply(b.x);
        return countCorrect(logits, b.y).finally(() => logits.dispose());
      },
      callbacks: [
        { onStep: (m) => void steps.push(m), onEval: (m) => void evals.push(m.accuracy!) },
      ],
    });
    const before = await trainer.evaluate();
    await trainer.fit(40);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(steps[0]!.learningRate).toBeCloseTo(0.025, 12); // warmup 1/2 of the peak
    expect(steps[5]!.tokensPerSecond).toBeGreaterThan(0);
    expect(steps[5]!.gradNorm).toBeGreaterThan(0);
    expect(steps[5]!.perplexity).toBeCloseTo(Math.exp(steps[5]!.loss), 10);
    const after = await trainer.evaluate();
    expect(after.loss).toBeLessThan(before.loss * 0.75);
    expect(after.accuracy).toBeGreaterThan(0.8);
    expect(evals).toHaveLength(4); // before, @20, @40, after
    dispose();
  });

  it('leaves the tensor count where it was after saving a checkpoint (grouped moments freed)', async () => {
    const { trainer, dispose } = setup(4, {
      checkpoint: { store: new MemoryCheckpointStore(), every: 1000 },
    });
    await trainer.trainStep(); // the optimizer's moments exist from here on
    const before = tf.memory().numTensors;
    await trainer.saveCheckpoint();
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });

  it('weighs evaluation batches by evalWeight, so a short last batch counts for its rows', async () => {
    // Two evaluation batches: 6 rows, then 1 row. The mean over the 7 rows is the answer.
    const rows = new SyntheticData(10_000).next();
    const uneven = new UnevenData(rows, 6);
    const plain = (m: TinyClassifier, b: Batch) => crossEntropy(m.apply(b.x), b.y);
    const { model, trainer, dispose } = setup(3, {
      loss: plain,
      evalData: uneven,
      evalBatches: 2,
      evalWeight: (b) => b.y.size,
    });
    const all = tf.tidy(() => plain(model, rows));
    const want = (await all.data())[0]!;
    const { loss } = await trainer.evaluate();
    expect(loss).toBeCloseTo(want, 5);
    // Unweighted, the 1-row batch would count as much as the 6-row one: a different number.
    const { trainer: unweighted, dispose: disposeUnweighted } = setup(3, {
      loss: plain,
      evalData: new UnevenData(rows, 6),
      evalBatches: 2,
    });
    expect(Math.abs((await unweighted.evaluate()).loss - want)).toBeGreaterThan(1e-4);
    tf.dispose([all, rows.x, rows.y]);
    disposeUnweighted();
    dispose();
  });

  it.each([1, 2])(
    'keeps the number of tensors flat over 200 steps (accumulation %i, clipping, eval, checkpoints)',
    async (accumulationSteps) => {
      const { trainer, dispose } = setup(2, {
        accumulationSteps,
        evalData: new SyntheticData(10_000),
        evalEvery: 50,
        checkpoint: { store: new MemoryCheckpointStore(), every: 50 },
      });
      await trainer.fit(1); // the accumulator allocates its buffers on the first step
      await assertNoLeaks(() => trainer.fit(200));
      expect(trainer.step).toBe(200);
      dispose();
    },
  );

  it('resumes from a checkpoint directory with the same losses as an uninterrupted run', async () => {
    const uninterrupted = await uninterruptedLosses(3, { accumulationSteps: 2 }, 8);

    const path = join(dir, `resume-${backend}`, 'ckpt');
    const first: number[] = [];
    const a = setup(3, {
      accumulationSteps: 2,
      callbacks: record(first),
      checkpoint: { store: new DirectoryCheckpointStore(path) },
      config: { note: 'kept in trainer.json' },
    });
    await a.trainer.fit(4); // checkpoints at the end
    a.dispose();
    const saved = JSON.parse(
      new TextDecoder().decode((await new DirectoryCheckpointStore(path).load())!['trainer.json']),
    );
    expect(saved).toMatchObject({
      step: 4,
      config: { note: 'kept in trainer.json' },
      rng: expect.any(Number),
    });
    // A fresh process: different initial weights, fresh optimizer, data and RNG at their start.
    const resumedLosses: number[] = [];
    // Its schedule differs too: resume() must bring back the checkpoint's.
    const b = setup(99, {
      accumulationSteps: 2,
      callbacks: record(resumedLosses),
      checkpoint: { store: new DirectoryCheckpointStore(path) },
      schedule: new ConstantSchedule(0.5),
    });
    expect(await b.trainer.resume()).toBe(4);
    expect(b.optimizer.iterations).toBe(4);
    await b.trainer.fit(8);
    b.dispose();
    expect([...first, ...resumedLosses]).toEqual(uninterrupted);

    // The store keeps the last two checkpoints (steps 4 and 8), each with its manifest.
    const kept = await new DirectoryCheckpointStore(path).list();
    expect(kept.map((c) => c.manifest.step)).toEqual([4, 8]);
    const last = kept.at(-1)!.path;
    expect((await readdir(last)).sort()).toEqual([
      'manifest.json',
      'model.safetensors',
      'optimizer.safetensors',
      'trainer.json',
    ]);
    const state = JSON.parse(await readFile(join(last, 'trainer.json'), 'utf8'));
    expect(state).toMatchObject({
      format: 'tformer-trainer',
      config: null, // the resumed trainer was given none
      step: 8,
      optimizerIterations: 8,
      data: { position: 16 },
    });
    expect(state.schedule).toEqual({
      kind: 'warmup-cosine',
      peakLearningRate: 0.05,
      warmupSteps: 2,
      totalSteps: 40,
      minLearningRate: 0,
    });
    const moments = safetensorsToStateDict(
      new Uint8Array(await readFile(join(last, 'optimizer.safetensors'))),
    ).state;
    expect(Object.keys(moments).sort()).toEqual([
      'm.hidden.bias',
      'm.hidden.kernel',
      'm.out.bias',
      'm.out.kernel',
      'v.hidden.bias',
      'v.hidden.kernel',
      'v.out.bias',
      'v.out.kernel',
    ]);
    tf.dispose(moments);
  });

  it('resumes a model with dropout exactly: its generators are in the checkpoint', async () => {
    const uninterrupted = await uninterruptedLosses(7, { dropout: 0.3 }, 8);

    const store = new MemoryCheckpointStore();
    const first: number[] = [];
    const a = setup(7, { dropout: 0.3, callbacks: record(first), checkpoint: { store } });
    await a.trainer.fit(4);
    a.dispose();
    const saved = JSON.parse(new TextDecoder().decode((await store.load())!['trainer.json']));
    expect(Object.keys(saved.modelRng)).toEqual(['drop.rng']);
    expect(saved.modelRng['drop.rng']).toMatchObject({ seed: 9, spare: null });

    // A fresh process: another seed, so other weights and other dropout masks until resume().
    const resumed: number[] = [];
    const b = setup(98, { dropout: 0.3, callbacks: record(resumed), checkpoint: { store } });
    expect(await b.trainer.resume()).toBe(4);
    await b.trainer.fit(8);
    b.dispose();
    expect([...first, ...resumed]).toEqual(uninterrupted);

    // A version-1 checkpoint from before `modelRng` still resumes, with the model's own masks
    // (so not exactly: which is why the field exists).
    const files = (await store.load())!;
    const { modelRng: _, ...old } = JSON.parse(new TextDecoder().decode(files['trainer.json']));
    files['trainer.json'] = new TextEncoder().encode(JSON.stringify(old));
    const legacy = new MemoryCheckpointStore();
    await legacy.save(files);
    const c = setup(98, { dropout: 0.3, checkpoint: { store: legacy } });
    const untouched = c.model.drop.rng.state();
    expect(await c.trainer.resume()).toBe(8);
    expect(c.model.drop.rng.state()).toEqual(untouched);
    c.dispose();
  });

  it('checkpoints once per due step, resumes nothing from an empty store, and rejects foreign checkpoints', async () => {
    const store = new MemoryCheckpointStore();
    const saves: number[] = [];
    const { trainer, dispose } = setup(5, {
      checkpoint: { store, every: 3 },
      callbacks: [{ onCheckpoint: ({ step }) => void saves.push(step) }],
    });
    expect(await trainer.resume()).toBeUndefined();
    await trainer.fit(7);
    expect(saves).toEqual([3, 6, 7]);
    const files = (await store.load())!;
    files['trainer.json'] = new TextEncoder().encode(
      JSON.stringify({ format: 'other', version: 3 }),
    );
    await store.save(files);
    await expect(trainer.resume()).rejects.toThrow(CheckpointError);
    await expect(trainer.resume()).rejects.toThrow(
      /expected format 'tformer-trainer' version 1, got 'other' version 3/,
    );
    expect(() => setup(6, { accumulationSteps: 0 })).toThrow(
      /options.accumulationSteps: expected an integer ≥ 1, got 0/,
    );
    dispose();
  });

  it('stops on a NaN loss with a typed error, leaving the weights and the last checkpoint untouched', async () => {
    let poison = false;
    const store = new MemoryCheckpointStore();
    const run = setup(4, { checkpoint: { store, every: 3 } }, () => poison);
    const error = await stoppedFit(run, store, 3, () => {
      poison = true;
    });
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBe(4);
    expect((error as Error).message).toMatch(/loss is NaN at step 4/);
    run.dispose();
  });

  it('skips a step with NaN gradients and a finite loss: no update, no checkpoint of it, then goes on', async () => {
    let bad = 0;
    const store = new MemoryCheckpointStore();
    const skipped: number[] = [];
    const steps: number[] = [];
    const rates: number[] = [];
    const { model, trainer, dispose } = setup(
      4,
      {
        checkpoint: { store, every: 1 },
        nonFinite: { learningRateFactor: 0.5 },
        schedule: new ConstantSchedule(0.01),
        callbacks: [
          {
            onSkip: (s) => void skipped.push(s.step),
            onStep: (m) => {
              steps.push(m.step);
              rates.push(m.learningRate);
            },
          },
        ],
      },
      () => false,
      () => bad-- > 0,
    );
    await trainer.fit(2);
    const saved = await store.load();
    const weights = model.namedParameters().map(([, v]) => Array.from(v.dataSync()));
    bad = 2; // steps 3 and 3 again are bad, then the next batch is fine
    const first = await trainer.trainStep();
    expect(first).toMatchObject({ step: 3, skipped: true });
    expect(trainer.step).toBe(2);
    expect(model.namedParameters().map(([, v]) => Array.from(v.dataSync()))).toEqual(weights);
    expect(await store.load()).toEqual(saved);
    await trainer.fit(4);
    expect(skipped).toEqual([3, 3]);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(rates).toEqual([0.01, 0.01, 0.0025, 0.0025]); // halved after each bad step
    const state = JSON.parse(new TextDecoder().decode((await store.load())!['trainer.json']));
    expect(state).toMatchObject({ step: 4, learningRateScale: 0.25 });
    for (const [, v] of model.namedParameters())
      expect(Array.from(v.dataSync()).every(Number.isFinite)).toBe(true);
    dispose();
  });

  it('stops after maxBadSteps bad steps in a row with a typed error naming the step', async () => {
    let bad = false;
    const store = new MemoryCheckpointStore();
    const run = setup(
      4,
      { checkpoint: { store, every: 2 }, nonFinite: { maxBadSteps: 3 } },
      () => false,
      () => bad,
    );
    const error = await stoppedFit(run, store, 2, () => {
      bad = true;
    });
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect(error).toMatchObject({
      step: 3,
      badSteps: 3,
      code: 'TFORMER_TRAIN_NON_FINITE_GRADIENT',
    });
    expect((error as Error).message).toMatch(
      /gradients are not finite at step 3 \(3 bad steps in a row\)/,
    );
    run.dispose();
  });

  it('reads the device once per step (loss, norm and the non-finite check together), never dataSync', async () => {
    const { trainer, dispose } = setup(4, { accumulationSteps: 2 });
    await trainer.trainStep();
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    try {
      const metrics = await trainer.trainStep();
      expect(metrics.gradNorm).toBeGreaterThan(0);
      expect(data).toHaveBeenCalledTimes(1);
      expect(dataSync).not.toHaveBeenCalled();
    } finally {
      data.mockRestore();
      dataSync.mockRestore();
      dispose();
    }
  });

  it('stop() ends fit after the step in progress, with a checkpoint of it', async () => {
    const store = new MemoryCheckpointStore();
    const { trainer, dispose } = setup(4, {
      checkpoint: { store, every: 100 },
      callbacks: [{ onStep: (m) => void (m.step === 3 && trainer.stop()) }],
    });
    await trainer.fit(10);
    expect(trainer.stopped).toBe(true);
    expect(trainer.step).toBe(3);
    const state = JSON.parse(new TextDecoder().decode((await store.load())!['trainer.json']));
    expect(state.step).toBe(3);
    dispose();
  });
});
