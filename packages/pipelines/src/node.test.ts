import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  DecoderLM,
  decodeModel,
  EncoderClassifier,
  encodeModel,
  encodeQuantizedModel,
} from '@tformer/model';
import { describeWithBackends } from '@tformer/test-utils';
import { CharTokenizer, WordPieceTrainer } from '@tformer/tokenizer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pipeline, TextClassifier, TextGenerator } from './node.js';

/** Writes a run directory laid out as the apps write them: config.json, tokenizer, model/. */
async function writeRun(
  dir: string,
  model: DecoderLM | EncoderClassifier,
  files: Record<string, string>,
) {
  const { config, weights } = await encodeModel(model);
  await mkdir(join(dir, 'model'), { recursive: true });
  await writeFile(join(dir, 'model', 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'model', 'model.safetensors'), weights);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
}

describeWithBackends('@tformer/pipelines/node', () => {
  let root: string;
  const chars = CharTokenizer.fromCorpus('abcdefgh \n', { unknown: 'skip' });
  const tokenizer = JSON.stringify({ kind: 'char', tokenizer: chars.toJSON() });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tformer-pipelines-'));
    const lm = new DecoderLM(
      { vocabSize: chars.vocabSize, maxLength: 16, numLayers: 1, numHeads: 2, dModel: 8 },
      { rng: 1 },
    );
    await writeRun(join(root, 'textgen'), lm, {
      'config.json': JSON.stringify({ app: 'textgen' }),
      'tokenizer.json': tokenizer,
    });
    // The same model quantized as `tformer-textgen quantize` writes it.
    const q8 = await encodeQuantizedModel(lm, { scheme: 'int8' });
    await mkdir(join(root, 'textgen-q8', 'model'), { recursive: true });
    await writeFile(join(root, 'textgen-q8', 'model', 'config.json'), JSON.stringify(q8.config));
    await writeFile(join(root, 'textgen-q8', 'model', 'model.safetensors'), q8.weights);
    await writeFile(join(root, 'textgen-q8', 'tokenizer.json'), tokenizer);
    lm.dispose();
    const wordPiece = new WordPieceTrainer({ vocabSize: 40 }).train(['a b c', 'd e f']);
    const classifier = new EncoderClassifier(
      {
        vocabSize: wordPiece.vocabSize,
        maxLength: 4,
        dModel: 8,
        numHeads: 2,
        dFF: 8,
        numClasses: 2,
        padTokenId: 0,
      },
      { rng: 2 },
    );
    await writeRun(join(root, 'classify'), classifier, {
      'config.json': JSON.stringify({ app: 'classify', labels: ['neg', 'pos'] }),
      'tokenizer.json': JSON.stringify(wordPiece.toJSON()),
    });
    classifier.dispose();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads a quantized run directory as the float model its weights decode to', async () => {
    const before = tf.memory().numTensors;
    const { readFile } = await import('node:fs/promises');
    const dir = join(root, 'textgen-q8', 'model');
    const [config, weights] = await Promise.all([
      readFile(join(dir, 'config.json')),
      readFile(join(dir, 'model.safetensors')),
    ]);
    // The reference: the dequantized model saved as plain float32 files.
    const dequantized = decodeModel(JSON.parse(config.toString('utf8')), weights);
    const float = await encodeModel(dequantized);
    dequantized.dispose();
    const reference = TextGenerator.fromFiles({
      config: JSON.stringify(float.config),
      weights: float.weights,
      tokenizer,
    });
    const quantized = await TextGenerator.fromRunDir(join(root, 'textgen-q8'));
    const text = await quantized.generate('abc', { maxNewTokens: 8 });
    expect(text).toHaveLength(8);
    expect(text).toBe(await reference.generate('abc', { maxNewTokens: 8 }));
    quantized.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads a textgen run directory: the same text as from its files', async () => {
    const before = tf.memory().numTensors;
    const generator = await TextGenerator.fromRunDir(join(root, 'textgen'));
    expect(generator).toBeInstanceOf(TextGenerator);
    const text = await generator.generate('abc', { maxNewTokens: 6 });
    const { readFile } = await import('node:fs/promises');
    const fromFiles = TextGenerator.fromFiles({
      config: await readFile(join(root, 'textgen', 'model', 'config.json')),
      weights: await readFile(join(root, 'textgen', 'model', 'model.safetensors')),
      tokenizer,
    });
    expect(await fromFiles.generate('abc', { maxNewTokens: 6 })).toBe(text);
    expect(text).toHaveLength(6);
    const viaPipeline = await pipeline('text-generation', join(root, 'textgen'));
    expect(await viaPipeline.generate('abc', { maxNewTokens: 6 })).toBe(text);
    for (const g of [generator, fromFiles, viaPipeline]) g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("takes a classify run's labels from its config.json", async () => {
    const classifier = await TextClassifier.fromRunDir(join(root, 'classify'));
    expect(classifier.labels).toEqual(['neg', 'pos']);
    const [best] = await classifier.classify('a b');
    expect(['neg', 'pos']).toContain(best!.label);
    classifier.dispose();
  });

  it('names the missing file with its path', async () => {
    const before = tf.memory().numTensors;
    await expect(pipeline('translation', join(root, 'textgen'))).rejects.toThrow(
      expect.objectContaining({ file: join(root, 'textgen', 'vocab.json') }),
    );
    await expect(TextGenerator.fromRunDir(join(root, 'nothing'))).rejects.toThrow(
      /nothing\/config\.json: missing/,
    );
    // A classify run is not a text-generation model: the class is named, nothing leaks.
    await expect(TextGenerator.fromRunDir(join(root, 'classify'))).rejects.toThrow(
      /text generation needs a DecoderLM, this file describes a EncoderClassifier/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
