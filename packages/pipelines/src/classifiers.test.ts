import * as tf from '@tensorflow/tfjs-core';
import { decodeModel, EncoderClassifier, encodeModel, VisionTransformer } from '@tformer/model';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { WordPieceTrainer } from '@tformer/tokenizer';
import { expect, it } from 'vitest';
import { ImageClassifier, PipelineArgumentError, TextClassifier } from './index.js';

const TEXTS = ['free prize now', 'see you at lunch', 'win win win a free phone', 'ok'];

/** Softmax rows of `logits` as `{ label, score }` lists, most likely first. */
async function ranked(logits: tf.Tensor, labels: string[]) {
  const probs = tf.softmax(logits);
  const rows = (await probs.array()) as number[][];
  tf.dispose([logits, probs]);
  return rows.map((row) =>
    row.map((score, i) => ({ label: labels[i]!, score })).sort((a, b) => b.score - a.score),
  );
}

type Ranked = { label: string; score: number }[];

/**
 * The same labels in the same order with scores within 1e-6: a batch of one and a batch of three
 * (or the pipeline's batch and the test's) may round differently on tfjs-node (oneDNN).
 */
function expectSameRanking(got: Ranked[], want: Ranked[]): void {
  expect(got.map((row) => row.map((c) => c.label))).toEqual(
    want.map((row) => row.map((c) => c.label)),
  );
  for (const [r, row] of got.entries()) {
    for (const [k, c] of row.entries()) expect(c.score).toBeCloseTo(want[r]![k]!.score, 6);
  }
}

describeWithBackends('TextClassifier and ImageClassifier', () => {
  it('classifies texts as the model does on ids padded to maxLength', async () => {
    const wordPiece = new WordPieceTrainer({ vocabSize: 60 }).train(TEXTS);
    const trained = new EncoderClassifier(
      {
        vocabSize: wordPiece.vocabSize,
        maxLength: 6,
        dModel: 16,
        numHeads: 2,
        dFF: 16,
        numClasses: 3,
        padTokenId: 0,
      },
      { rng: 2 },
    );
    const { config, weights } = await encodeModel(trained);
    trained.dispose();
    const labels = ['ham', 'spam', 'other'];
    const files = {
      config,
      weights,
      tokenizer: JSON.stringify(wordPiece.toJSON()),
      runConfig: JSON.stringify({ labels }),
    };
    const before = tf.memory().numTensors;
    const classifier = TextClassifier.fromFiles(files);
    const all = await assertNoLeaks(() => classifier.classify(TEXTS, { topK: 3 }));
    const model = (decodeModel(config, weights) as EncoderClassifier).eval();
    const ids = TEXTS.map((t) => {
      const row = wordPiece.encode(t).slice(0, 6);
      return [...row, ...Array<number>(6 - row.length).fill(0)];
    });
    const logits = tf.tidy(() => model.apply(tf.tensor2d(ids, [4, 6], 'int32')));
    expectSameRanking(all, await ranked(logits, labels));
    const [top] = await classifier.classify(TEXTS[0]!);
    expect(top).toEqual(all[0]![0]);
    // Batches of 2 give the same classes (and scores to float32 rounding).
    const small = await classifier.classify(TEXTS, { topK: 3, batchSize: 2 });
    small.flat().forEach((c, i) => {
      expect(c.label).toBe(all.flat()[i]!.label);
      expect(c.score).toBeCloseTo(all.flat()[i]!.score, 5);
    });
    await expect(classifier.classify('x', { topK: 0 })).rejects.toThrow(PipelineArgumentError);
    expect(() => TextClassifier.fromFiles({ ...files, runConfig: '{"labels": ["a"]}' })).toThrow(
      expect.objectContaining({ file: 'config.json', field: 'labels' }),
    );
    model.dispose();
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('classifies images as the model does on pixels scaled to [-1, 1]', async () => {
    const trained = new VisionTransformer(
      {
        imageSize: 8,
        patchSize: 4,
        channels: 1,
        dModel: 16,
        numHeads: 2,
        numLayers: 1,
        numClasses: 2,
      },
      { rng: 4 },
    );
    const { config, weights } = await encodeModel(trained);
    trained.dispose();
    const before = tf.memory().numTensors;
    const classifier = ImageClassifier.fromFiles({ config, weights, labels: ['circle', 'square'] });
    const images = [0, 1, 2].map((k) =>
      Float32Array.from({ length: 64 }, (_, i) => ((i * (k + 3)) % 7) / 6),
    );
    const got = await assertNoLeaks(() => classifier.classify(images, { topK: 2 }));
    const model = (decodeModel(config, weights) as VisionTransformer).eval();
    const scaled = tf.tidy(() =>
      tf.sub(
        tf.mul(tf.tensor4d(Float32Array.from(images.flatMap((im) => [...im])), [3, 8, 8, 1]), 2),
        1,
      ),
    );
    expectSameRanking(got, await ranked(model.apply(scaled), ['circle', 'square']));
    scaled.dispose();
    expectSameRanking([await classifier.classify(images[1]!, { topK: 2 })], [got[1]!]);
    await expect(classifier.classify(new Float32Array(10))).rejects.toThrow(
      /image: expected 64 values/,
    );
    model.dispose();
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
