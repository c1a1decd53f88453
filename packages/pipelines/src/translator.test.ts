import * as tf from '@tensorflow/tfjs-core';
import { DecoderLM, decodeModel, EncoderDecoder, encodeModel } from '@tformer/model';
import { beamSearchEncoderDecoder, generateSeq2Seq } from '@tformer/model/generate';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { BpeTrainer } from '@tformer/tokenizer';
import { beforeAll, expect, it } from 'vitest';
import { PipelineFileError, Translator } from './index.js';

const PAIRS = ['one two three', 'four five', 'six seven eight nine', 'ten'];

async function tinyFiles() {
  const bpe = new BpeTrainer({ vocabSize: 270 }).train(PAIRS.join('\n'));
  const V = bpe.vocabSize + 3; // 0 pad, 1 start, 2 end, then the BPE's ids
  const model = new EncoderDecoder(
    {
      srcVocabSize: V,
      tgtVocabSize: V,
      numLayers: 1,
      dModel: 16,
      numHeads: 2,
      dFF: 32,
      maxLength: 16,
      shareEmbeddings: true,
      padTokenId: 0,
    },
    { rng: 5 },
  );
  const { config, weights } = await encodeModel(model);
  model.dispose();
  const vocab = JSON.stringify({ shared: bpe.toJSON() });
  const runConfig = { decode: { beams: 3, maxNewTokens: 6, lengthPenalty: 0.6 } };
  return { bpe, files: { config, weights, vocab, runConfig } };
}

describeWithBackends('Translator', () => {
  let fixture: Awaited<ReturnType<typeof tinyFiles>>;
  beforeAll(async () => {
    fixture = await tinyFiles();
  });

  it('translates as beam search and greedy decoding of the model, text in, text out', async () => {
    const { bpe, files } = fixture;
    const before = tf.memory().numTensors;
    const translator = Translator.fromFiles(files);
    expect(translator.defaults).toEqual({ numBeams: 3, maxNewTokens: 6, lengthPenalty: 0.6 });
    const model = decodeModel(files.config, files.weights) as EncoderDecoder;
    // Sources are cut to maxLength − 1 tokens, then EOS.
    const source = (text: string) => [
      ...bpe
        .encode(text)
        .map((id) => id + 3)
        .slice(0, 15),
      2,
    ];
    const text = (ids: number[]) =>
      bpe.decode(ids.filter((id) => id >= 3).map((id) => id - 3)).trim();

    // The run's defaults: beam search of 3 with its length penalty.
    const [best] = await beamSearchEncoderDecoder(model, source(PAIRS[0]!), {
      startToken: 1,
      numBeams: 3,
      maxNewTokens: 6,
      lengthPenalty: 0.6,
      stopTokens: [2],
    });
    expect(await assertNoLeaks(() => translator.translate(PAIRS[0]!))).toBe(text(best!.tokens));

    // One beam: greedy, the sentences as one padded batch.
    const greedy = await generateSeq2Seq(model, PAIRS.map(source), {
      startToken: 1,
      maxNewTokens: 6,
      stopTokens: [2],
    });
    const translated = await assertNoLeaks(() => translator.translate(PAIRS, { numBeams: 1 }));
    expect(translated).toEqual(greedy.map(text));
    model.dispose();
    translator.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the file or field at fault, and leaks nothing when it refuses', async () => {
    const { files } = fixture;
    const before = tf.memory().numTensors;
    expect(() => Translator.fromFiles({ ...files, vocab: '{"src": {}}' })).toThrow(
      expect.objectContaining({ file: 'vocab.json', field: 'tgt' }),
    );
    const lm = new DecoderLM({ vocabSize: 8, maxLength: 4, numLayers: 1, numHeads: 1, dModel: 4 });
    const other = await encodeModel(lm);
    lm.dispose();
    expect(() => Translator.fromFiles({ ...files, ...other })).toThrow(
      expect.objectContaining({ file: 'config.json', field: 'className' }),
    );
    expect(() => Translator.fromFiles({ ...files, weights: new Uint8Array(8) })).toThrow();
    expect(() => Translator.fromFiles({ ...files, weights: 'bytes' as never })).toThrow(
      PipelineFileError,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
