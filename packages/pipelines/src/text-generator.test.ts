import * as tf from '@tensorflow/tfjs-core';
import { DecoderLM, decodeModel, encodeModel } from '@tformer/model';
import { generate } from '@tformer/model/generate';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { BpeTrainer, type BytePairTokenizer } from '@tformer/tokenizer';
import { beforeAll, expect, it } from 'vitest';
import { PipelineArgumentError, PipelineFileError, pipeline, TextGenerator } from './index.js';
import { TextStreamer } from './text-streamer.js';

const CORPUS =
  'the café serves crème brûlée 😀 to the 日本 guests; the guests love the café. '.repeat(4);

/** A random-weight DecoderLM over a small byte-level BPE, as its saved files. */
async function tinyFiles() {
  const bpe = new BpeTrainer({ vocabSize: 290 }).train(CORPUS);
  const model = new DecoderLM(
    { vocabSize: bpe.vocabSize, maxLength: 24, numLayers: 1, numHeads: 2, dModel: 16 },
    { rng: 3 },
  );
  const { config, weights } = await encodeModel(model);
  model.dispose();
  const tokenizer = JSON.stringify({ kind: 'bpe', tokenizer: bpe.toJSON() });
  return { bpe, files: { config: JSON.stringify(config), weights, tokenizer } };
}

/** What the lower-level API gives: ids through `generate`, decoded by the tokenizer. */
async function reference(
  files: { config: string; weights: Uint8Array },
  bpe: BytePairTokenizer,
  prompts: string[],
  options: Parameters<typeof generate>[2],
): Promise<string[]> {
  const model = decodeModel(JSON.parse(files.config), files.weights) as DecoderLM;
  try {
    const ids = await generate(
      model,
      prompts.map((p) => bpe.encode(p)),
      options,
    );
    return ids.map((row) => bpe.decode(row));
  } finally {
    model.dispose();
  }
}

describeWithBackends('TextGenerator', () => {
  let fixture: Awaited<ReturnType<typeof tinyFiles>>;
  beforeAll(async () => {
    fixture = await tinyFiles();
  });

  it('generates what generate + decode give, greedy and sampled, alone and batched', async () => {
    const { files, bpe } = fixture;
    const before = tf.memory().numTensors;
    const generator = TextGenerator.fromFiles(files);
    const greedy = await assertNoLeaks(() => generator.generate('the café', { maxNewTokens: 10 }));
    expect(greedy).toBe((await reference(files, bpe, ['the café'], { maxNewTokens: 10 }))[0]);
    const sampling = { maxNewTokens: 10, temperature: 0.9, topK: 20, seed: 7 };
    const sampled = await generator.generate('the café', sampling);
    const expected = await reference(files, bpe, ['the café'], { ...sampling, doSample: true });
    expect(sampled).toBe(expected[0]);
    const prompts = ['the guests', 'crème brûlée 😀 to'];
    const batch = await assertNoLeaks(() => generator.generate(prompts, { maxNewTokens: 8 }));
    expect(batch).toEqual(await reference(files, bpe, prompts, { maxNewTokens: 8 }));
    expect(batch[1]).toBe(await generator.generate(prompts[1]!, { maxNewTokens: 8 }));
    // temperature 0 is greedy decoding
    expect(await generator.generate('the café', { maxNewTokens: 10, temperature: 0 })).toBe(greedy);
    generator.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('streams pieces that join into the generated text, and stops on a stop string', async () => {
    const generator = await pipeline('text-generation', fixture.files);
    const options = { maxNewTokens: 16, temperature: 1.2, seed: 3 };
    const whole = await generator.generate('the', options);
    const pieces: string[] = [];
    await assertNoLeaks(async () => {
      for await (const piece of generator.stream('the', options)) pieces.push(piece);
    });
    expect(pieces.join('')).toBe(whole);
    expect(pieces.length).toBeGreaterThan(1);

    const stop = whole.slice(3, 5);
    const cut = whole.slice(0, whole.indexOf(stop));
    expect(await generator.generate('the', { ...options, stop: [stop] })).toBe(cut);
    const streamed: string[] = [];
    for await (const piece of generator.stream('the', { ...options, stop: [stop] })) {
      streamed.push(piece);
    }
    expect(streamed.join('')).toBe(cut);

    // Leaving a stream early frees the KV cache too.
    await assertNoLeaks(async () => {
      for await (const _ of generator.stream('the', options)) break;
    });
    generator.dispose();
  });

  it('rejects bad files and prompts with typed errors naming them', async () => {
    const { files } = fixture;
    const before = tf.memory().numTensors;
    expect(() => TextGenerator.fromFiles({ ...files, tokenizer: undefined as never })).toThrow(
      expect.objectContaining({ name: 'PipelineFileError', file: 'tokenizer.json' }),
    );
    expect(() => TextGenerator.fromFiles({ ...files, config: '{"format": ' })).toThrow(
      /config\.json: not valid JSON/,
    );
    expect(() => TextGenerator.fromFiles({ ...files, tokenizer: '{"kind": "word"}' })).toThrow(
      PipelineFileError,
    );
    const generator = TextGenerator.fromFiles(files);
    await expect(generator.generate('')).rejects.toThrow(PipelineArgumentError);
    await expect(generator.generate('x', { topP: 2 })).rejects.toThrow(/topP/);
    generator.dispose();
    await expect(pipeline('summarization' as 'translation', files as never)).rejects.toThrow(
      /task: expected one of/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('TextStreamer holds back a character split over tokens until it is complete', () => {
  // Only ASCII merges: 😀 and é are one token per byte.
  const bpe = new BpeTrainer({ vocabSize: 260 }).train('ab ab ab abc abc');
  const ids = bpe.encode('a😀é');
  expect(ids).toHaveLength(7);
  const streamer = new TextStreamer(bpe);
  const pieces = ids.map((id) => streamer.push(id));
  expect(pieces).toEqual(['a', '', '', '', '😀', '', 'é']);
  expect(streamer.end()).toBe('');
  expect(streamer.text()).toBe(bpe.decode(ids));
});
