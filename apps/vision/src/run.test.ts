import { describeClassifierRun } from '@tformer/app-kit/testing';
import { createRng } from '@tformer/nn';
import type { VisionConfig } from './config.js';
import { VisionRun, visionTask } from './run.js';
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

const images = drawShapes(createRng(3), 24, 8);
describeClassifierRun(
  'VisionRun',
  (runDir) => new VisionRun(config, runDir, { train: images.slice(8), eval: images.slice(0, 8) }),
  visionTask(config),
  images.slice(0, 8),
  4,
);
