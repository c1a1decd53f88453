import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RunDir, startBackend } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VisionConfig } from './config.js';
import { testMetrics, VisionRun } from './run.js';
import { drawShapes } from './shapes.js';

const config: VisionConfig = {
  app: 'vision',
  version: 1,
  dataPath: null,
  corpus: 'test',
  imageSize: 8,
  testSize: 8,
  classes: ['circle', 'cross', 'square', 'triangle'],
  model: {
    imageSize: 8,
    patchSize: 4,
    channels: 1,
    numClasses: 4,
    dModel: 8,
    numHeads: 2,
    numLayers: 1,
  },
  train: {
    steps: 4,
    batchSize: 4,
    learningRate: 1e-2,
    warmupSteps: 1,
    weightDecay: 0.05,
    clipNorm: 1,
    evalEvery: 2,
    seed: 1,
  },
};

describe('VisionRun', () => {
  beforeAll(async () => {
    await startBackend({ backend: 'cpu' });
  });

  it('trains, evaluates and scores the test split without leaking a tensor', async () => {
    const images = drawShapes(createRng(3), 24, 8);
    const runDir = await new RunDir(await mkdtemp(join(tmpdir(), 'vision-run-'))).create();
    const run = new VisionRun(config, runDir, { train: images.slice(8), eval: images.slice(0, 8) });
    try {
      await run.trainer.trainStep(); // creates the optimizer's moments
      const before = tf.memory().numTensors;
      await run.fit(); // steps 2–4, with evaluations and checkpoints
      const evaluation = await run.evaluation();
      const result = await testMetrics(run.model, images.slice(0, 8), config);
      expect(tf.memory().numTensors).toBe(before);
      expect(evaluation.step).toBe(4);
      expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(8);
    } finally {
      run.dispose();
    }
  });
});
