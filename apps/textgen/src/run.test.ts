import * as tf from '@tensorflow/tfjs-core';
import { startBackend } from '@tformer/app-kit';
import { DecoderLM } from '@tformer/model';
import { crossEntropy } from '@tformer/train';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TextgenConfig } from './config.js';
import { heldOutLoss } from './run.js';

const config = {
  model: { vocabSize: 11, maxLength: 6, numLayers: 1, numHeads: 2, dModel: 8, dropout: 0 },
  train: { batchSize: 2 },
} as TextgenConfig;

describe('heldOutLoss', () => {
  beforeAll(async () => {
    await startBackend({ backend: 'cpu' });
  });

  it('is the per-token loss over every prediction of the tokens, leaking no tensor', async () => {
    const model = new DecoderLM(config.model, { rng: 3 });
    const tokens = Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 11); // 19 predictions
    const before = tf.memory().numTensors;
    const loss = await heldOutLoss(model, config, tokens);
    expect(tf.memory().numTensors).toBe(before);
    // Reference: window by window (starts 0, 6, 12, 18), each weighted by its predictions.
    let sum = 0;
    for (let start = 0; start < tokens.length - 1; start += 6) {
      const end = Math.min(start + 6, tokens.length - 1);
      const window = tf.tidy(() =>
        crossEntropy(
          model.apply(tf.tensor2d([...tokens.subarray(start, end)], [1, end - start], 'int32')),
          tf.tensor2d([...tokens.subarray(start + 1, end + 1)], [1, end - start], 'int32'),
        ),
      );
      sum += (await window.data())[0]! * (end - start);
      window.dispose();
    }
    expect(loss).toBeCloseTo(sum / 19, 5);
    model.dispose();
  });
});
