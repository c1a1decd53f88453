import { createRng } from '@tformer/nn';
import type { DataSource, Json } from '@tformer/train';
import { EpochSampler, type EpochSamplerState } from './epoch-sampler.js';
import type { TrainingRunOptions, TrainSettings } from './training-run.js';

/**
 * Shuffled mini-batches of `rows`, epoch after epoch, with a resumable position (an
 * {@link EpochSampler} seeded with `seed`); `toTensors` makes the app's batch of a batch's rows.
 *
 * @example
 * const data = shuffledBatches(examples, 32, 1337, (rows) => toTensors(rows, maxLength));
 */
export function shuffledBatches<R, B>(
  rows: readonly R[],
  batchSize: number,
  seed: number,
  toTensors: (rows: readonly R[]) => B,
): DataSource<B> {
  const sampler = new EpochSampler(rows.length, batchSize, seed, createRng);
  return {
    next: () => toTensors(sampler.next().map((i) => rows[i]!)),
    state: () => sampler.state() as unknown as Json,
    restore: (state) => sampler.restore(state as unknown as EpochSamplerState),
  };
}

/**
 * `rows` in order, `batchSize` at a time (the last batch may be smaller), wrapping around: what
 * evaluations and predictions read; `toTensors` makes the app's batch of a batch's rows.
 *
 * @example
 * const evalData = sequentialBatches(test, 64, (rows) => toTensors(rows, maxLength));
 */
export function sequentialBatches<R, B>(
  rows: readonly R[],
  batchSize: number,
  toTensors: (rows: readonly R[]) => B,
): DataSource<B> {
  let position = 0;
  return {
    next() {
      const batch = rows.slice(position, position + batchSize);
      position = position + batch.length >= rows.length ? 0 : position + batch.length;
      return toTensors(batch);
    },
    state: () => position,
    restore: (state) => {
      position = state as number;
    },
  };
}

/**
 * The data half of a {@link TrainingRunOptions}: shuffled batches of `data.train`, evaluations over
 * every `data.eval` row in order (`evalBatch` at a time), and the steps, evaluation period and
 * clipping of the run's `train` settings.
 *
 * @example
 * super({ ...runBatches(config.train, data, 64, (rows) => toTensors(rows, maxLength)), model, … });
 */
export function runBatches<R, B>(
  train: TrainSettings,
  data: { train: readonly R[]; eval: readonly R[] },
  evalBatch: number,
  toTensors: (rows: readonly R[]) => B,
) {
  return {
    data: shuffledBatches(data.train, train.batchSize, train.seed, toTensors),
    evalData: sequentialBatches(data.eval, evalBatch, toTensors),
    evalBatches: Math.ceil(data.eval.length / evalBatch),
    steps: train.steps,
    evalEvery: train.evalEvery,
    clipNorm: train.clipNorm,
  };
}
