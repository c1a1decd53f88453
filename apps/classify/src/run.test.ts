import { describeClassifierRun } from '@tformer/app-kit/testing';
import type { EncodedExample } from './batches.js';
import type { ClassifyConfig } from './config.js';
import { ClassifyRun, classifyTask } from './run.js';

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

describeClassifierRun(
  'ClassifyRun',
  (runDir) =>
    new ClassifyRun(config, runDir, { train: examples.slice(8), eval: examples.slice(0, 8) }),
  classifyTask(config.model.maxLength),
  examples.slice(0, 8),
  3,
);
