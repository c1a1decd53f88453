import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RunDir, startBackend } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePairs } from './batches.js';
import type { TranslateConfig } from './config.js';
import { numberPairs } from './numbers.js';
import { TranslateRun } from './run.js';
import { evaluateTest } from './translate.js';
import { PAD, trainVocabs } from './vocab.js';

describe('TranslateRun', () => {
  beforeAll(async () => {
    await startBackend({ backend: 'cpu' });
  });

  it('trains, evaluates and beam-searches the test split without leaking a tensor', async () => {
    const { train, test } = numberPairs(createRng(2), 40, 3);
    const vocabs = trainVocabs(train, 270, false);
    const config: TranslateConfig = {
      app: 'translate',
      version: 1,
      data: null,
      corpus: 'test',
      testSize: 3,
      maxTokens: 24,
      vocab: { bpeSize: 270, shared: false },
      model: {
        srcVocabSize: vocabs.src.size,
        tgtVocabSize: vocabs.tgt.size,
        numLayers: 1,
        numHeads: 2,
        dModel: 8,
        dFF: 16,
        maxLength: 24,
        padTokenId: PAD,
      },
      train: {
        steps: 4,
        batchSize: 4,
        schedule: 'noam',
        learningRate: 1e-2,
        warmupSteps: 2,
        labelSmoothing: 0.1,
        weightDecay: 0.01,
        clipNorm: 1,
        evalEvery: 2,
        seed: 1,
      },
      decode: { beams: 2, maxNewTokens: 4, lengthPenalty: 1 },
    };
    const data = {
      train: encodePairs(train, vocabs, 24).encoded,
      eval: encodePairs(test, vocabs, 24).encoded,
    };
    const runDir = await new RunDir(await mkdtemp(join(tmpdir(), 'translate-run-'))).create();
    const run = new TranslateRun(config, runDir, data);
    try {
      await run.trainer.trainStep(); // creates the optimizer's moments
      const before = tf.memory().numTensors;
      await run.fit(); // steps 2–4, with evaluations and checkpoints
      await run.evalLoss();
      const result = await evaluateTest(run.model, vocabs, test, config.decode);
      expect(tf.memory().numTensors).toBe(before);
      expect(result.hypotheses).toHaveLength(3);
    } finally {
      run.dispose();
    }
  });
});
