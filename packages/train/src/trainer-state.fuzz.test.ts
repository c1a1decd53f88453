import { fuzzFormat } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { NoamSchedule } from './noam-schedule.js';
import { parseTrainerState } from './trainer-state.js';
import { WarmupCosineSchedule } from './warmup-cosine-schedule.js';

// Issue 12: trainer.json, fuzzed (a truncated one was a bare SyntaxError without the path).
const seeds = [
  {
    format: 'tformer-trainer',
    version: 1,
    step: 12,
    optimizerIterations: 12,
    data: { position: 12, order: [3, 1, 2] },
    rng: { seed: 5, draws: 40 },
    modelRng: { 'blocks.0.dropout': { seed: 7, draws: 3 } },
    schedule: new WarmupCosineSchedule({
      peakLearningRate: 1e-3,
      warmupSteps: 2,
      totalSteps: 20,
    }).getConfig(),
    optimizer: { kind: 'adamw', learningRate: 1e-3, beta1: 0.9 },
    learningRateScale: 0.5,
    config: { app: 'textgen', model: { vocabSize: 65, dModel: 32 } },
  },
  {
    format: 'tformer-trainer',
    version: 1,
    step: 0,
    optimizerIterations: 0,
    data: null,
    rng: null,
    schedule: new NoamSchedule({ dModel: 32, warmupSteps: 4 }).getConfig(),
    optimizer: {},
    config: {},
  },
];

it('trainer.json: 5,000 mutations give a CheckpointError naming the file or a valid state', async () => {
  const report = await fuzzFormat({
    format: 'trainer.json',
    seeds,
    parse: (input) => parseTrainerState(new TextEncoder().encode(input as string)),
    isTypedError: (e) => e instanceof CheckpointError && e.message.includes('trainer.json'),
    check: ({ state, schedule }) => {
      expect(Number.isSafeInteger(state.step) && state.step >= 0).toBe(true);
      expect(Number.isFinite(schedule.learningRate(state.step + 1))).toBe(true);
    },
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.cases).toBeGreaterThanOrEqual(5_000);
  expect(report.valid).toBeGreaterThan(0);
  expect(report.rejected).toBeGreaterThan(0);
});
