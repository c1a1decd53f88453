import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RunDir, startBackend } from '@tformer/app-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncodedExample } from './batches.js';
import type { ClassifyConfig } from './config.js';
import { ClassifyRun, testMetrics } from './run.js';

const examples: EncodedExample[] = Array.from({ length: 24 }, (_, i) => ({
  ids: [1 + (i % 5), 2 + (i % 3), 7],
  label: i % 3,
}));

const config: ClassifyConfig = {
  app: 'classify',
  version: 1,
  data: null,
  corpus: 'test',
  testSize: 8,
  labels: ['a', 'b', 'c'],
  tokenizer: { vocabSize: 10 },
  model: {
    vocabSize: 10,
    maxLength: 6,
    dModel: 8,
    numHeads: 2,
    dFF: 8,
    numClasses: 3,
    padTokenId: 0,
  },
  train: {
    steps: 4,
    batchSize: 4,
    learningRate: 1e-2,
    warmupSteps: 1,
    weightDecay: 0.01,
    clipNorm: 1,
    evalEvery: 2,
    seed: 1,
  },
};

describe('ClassifyRun', () => {
  beforeAll(async () => {
    await startBackend({ backend: 'cpu' });
  });

  it('trains, evaluates and scores the test split without leaking a tensor', async () => {
    const runDir = await new RunDir(await mkdtemp(join(tmpdir(), 'classify-run-'))).create();
    const run = new ClassifyRun(config, runDir, {
      train: examples.slice(8),
      eval: examples.slice(0, 8),
    });
    try {
      await run.trainer.trainStep(); // creates the optimizer's moments
      const before = tf.memory().numTensors;
      await run.fit(); // steps 2–4, with evaluations and checkpoints
      const evaluation = await run.evaluation();
      const result = await testMetrics(run.model, examples.slice(0, 8), 3);
      expect(tf.memory().numTensors).toBe(before);
      expect(evaluation.step).toBe(4);
      expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(8);
    } finally {
      run.dispose();
    }
  });
});
