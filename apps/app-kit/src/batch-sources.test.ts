import { describe, expect, it } from 'vitest';
import { runBatches, sequentialBatches, shuffledBatches } from './batch-sources.js';

const rows = Array.from({ length: 7 }, (_, i) => i);
const asIs = (batch: readonly number[]) => [...batch];

describe('batch sources', () => {
  it('sequentialBatches: in order, a short last batch, then from the start; restore goes back', () => {
    const source = sequentialBatches(rows, 3, asIs);
    expect([source.next(), source.next()]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const state = source.state();
    expect([source.next(), source.next()]).toEqual([[6], [0, 1, 2]]);
    source.restore(state);
    expect(source.next()).toEqual([6]);
  });

  it('shuffledBatches: every row once an epoch, and a restored source draws what the first one drew', () => {
    const source = shuffledBatches(rows, 7, 11, asIs);
    const epoch = source.next() as number[];
    expect([...epoch].sort()).toEqual(rows);
    const state = source.state();
    const next = [source.next(), source.next()];
    const again = shuffledBatches(rows, 7, 11, asIs);
    again.restore(state);
    expect([again.next(), again.next()]).toEqual(next);
  });

  it('runBatches: evaluations cover every held-out row, in ceil(n / evalBatch) batches', () => {
    const train = {
      steps: 5,
      batchSize: 2,
      learningRate: 1e-3,
      warmupSteps: 1,
      weightDecay: 0,
      clipNorm: 1,
      evalEvery: 2,
      seed: 3,
    };
    const run = runBatches(train, { train: rows, eval: rows.slice(0, 5) }, 2, asIs);
    expect(run).toMatchObject({ evalBatches: 3, steps: 5, evalEvery: 2, clipNorm: 1 });
    const held = [run.evalData.next(), run.evalData.next(), run.evalData.next()].flat();
    expect(held).toEqual([0, 1, 2, 3, 4]);
    expect(run.data.next()).toHaveLength(2);
  });
});
