import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { parseJsonFile } from '@tformer/nn';
import { fuzzFormat } from '@tformer/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { DecoderLM } from './decoder-lm.js';
import { EncoderClassifier } from './encoder-classifier.js';
import { ModelConfigError, SavedModelError } from './errors.js';
import { decodeModel, encodeModel } from './save-load.js';

// Issue 12: a saved model's config.json, fuzzed against its (valid) weights. It loads to a model
// no larger than the weights file justifies, or fails with a SavedModelError/ModelConfigError
// before allocating; never a RangeError, a TypeError, a hang or a leaked tensor.
beforeAll(async () => {
  await selectBackend('cpu');
});

it('config.json: 5,000 mutations give a typed error or a model the weights justify', async () => {
  const saved = await Promise.all(
    [
      new DecoderLM(
        { vocabSize: 9, maxLength: 6, numLayers: 1, numHeads: 2, dModel: 8 },
        { rng: 1 },
      ),
      new EncoderClassifier(
        { vocabSize: 9, maxLength: 6, dModel: 8, numHeads: 2, dFF: 8, numClasses: 3, numLayers: 1 },
        { rng: 1 },
      ),
    ].map(async (model) => {
      const encoded = await encodeModel(model);
      model.dispose();
      return encoded;
    }),
  );
  const tensors = tf.memory().numTensors;
  for (const { config, weights } of saved) {
    const report = await fuzzFormat({
      format: `config.json (${(config as { className: string }).className})`,
      seeds: [config],
      parse: (input) =>
        decodeModel(
          parseJsonFile(
            input as string,
            'run/config.json',
            (m) => new SavedModelError('run', [], m),
          ),
          weights,
          'run',
        ),
      isTypedError: (e) => e instanceof SavedModelError || e instanceof ModelConfigError,
      check: (model) => {
        const values = model
          .namedParameters()
          .reduce((n, [, p]) => n + p.shape.reduce((a, b) => a * b, 1), 0);
        model.dispose();
        expect(values).toBeLessThanOrEqual(2 * weights.length + 2 ** 22);
      },
      runs: 2_500,
    });
    process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
    expect(report.cases).toBe(2_500);
    expect(report.valid).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  }
  expect(tf.memory().numTensors).toBe(tensors);
});
