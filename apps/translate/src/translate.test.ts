import * as tf from '@tensorflow/tfjs-core';
import { EncoderDecoder } from '@tformer/model';
import { beamSearchEncoderDecoder } from '@tformer/model/generate';
import { createRng } from '@tformer/nn';
import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import type { TranslateConfig } from './config.js';
import { numberPairs } from './numbers.js';
import { evaluateTest, translateInBatches } from './translate.js';
import { BOS, EOS, PAD, trainVocabs, type Vocabs } from './vocab.js';

/** The translation path before batching: one sentence at a time, as the reference. */
async function oneByOne(
  model: EncoderDecoder,
  vocabs: Vocabs,
  sentences: readonly string[],
  { beams, maxNewTokens, lengthPenalty }: TranslateConfig['decode'],
): Promise<string[]> {
  const out: string[] = [];
  for (const sentence of sentences) {
    const ids = vocabs.src.encode(sentence).slice(0, model.config.maxLength - 1);
    const [best] = await beamSearchEncoderDecoder(model, [...ids, EOS], {
      startToken: BOS,
      numBeams: beams,
      maxNewTokens: Math.min(maxNewTokens, model.config.maxLength - 1),
      lengthPenalty,
      stopTokens: [EOS],
    });
    out.push(vocabs.tgt.decode(best?.tokens ?? []).trim());
  }
  return out;
}

describeWithBackends('batched translation', () => {
  it('gives every sentence, in order, the translation it gets alone, without leaks', async () => {
    const { train, test } = numberPairs(createRng(4), 200, 9);
    const vocabs = trainVocabs(train, 270, false);
    const decode: TranslateConfig['decode'] = { beams: 3, maxNewTokens: 12, lengthPenalty: 1 };
    const model = new EncoderDecoder(
      {
        srcVocabSize: vocabs.src.size,
        tgtVocabSize: vocabs.tgt.size,
        numLayers: 1,
        numHeads: 2,
        dModel: 16,
        dFF: 32,
        dropout: 0,
        maxLength: 24,
        padTokenId: PAD,
        tieOutput: false,
      },
      { rng: 3 },
    );
    // Untrained, with the EOS logit raised so that translations stop after different lengths.
    const eosBias = (raise: number) => {
      const bias = tf.tidy(() =>
        tf.mul(tf.reshape(tf.oneHot([EOS], vocabs.tgt.size), [-1]), raise),
      ); // [V]
      model.generator!.bias!.assign(bias);
      bias.dispose();
    };
    try {
      const sentences = test.map((p) => p.src);
      for (const [raise, settings] of [
        [0.7, decode],
        [0.5, { ...decode, beams: 1, lengthPenalty: 0.6 }],
      ] as const) {
        eosBias(raise);
        const reference = await oneByOne(model, vocabs, sentences, settings);
        expect(new Set(reference.map((r) => r.length)).size).toBeGreaterThan(2);
        const before = tf.memory().numTensors;
        for (const batchSize of [4, 32]) {
          const batches: string[][] = [];
          for await (const batch of translateInBatches(
            model,
            vocabs,
            sentences,
            settings,
            batchSize,
          ))
            batches.push(batch);
          expect(batches.map((b) => b.length)).toEqual(batchSize === 4 ? [4, 4, 1] : [9]);
          expect(batches.flat()).toEqual(reference);
          // The evaluation batches by source length, and returns hypotheses in the pairs' order.
          const result = await evaluateTest(model, vocabs, test, settings, batchSize);
          expect(result.hypotheses).toEqual(reference);
        }
        expect(tf.memory().numTensors).toBe(before);
      }
      // Blank lines come back as empty lines in their places (`translate < in > out` stays
      // line-parallel) and take no batch row: batches of 2 hold 2 sentences each plus blanks.
      const gappy = ['', sentences[0]!, ' ', sentences[1]!, sentences[2]!, '', ''];
      const alone = await oneByOne(model, vocabs, sentences.slice(0, 3), decode);
      const before = tf.memory().numTensors;
      const batches: string[][] = [];
      for await (const batch of translateInBatches(model, vocabs, gappy, decode, 2))
        batches.push(batch);
      expect(batches.map((b) => b.length)).toEqual([4, 3]);
      expect(batches.flat()).toEqual(['', alone[0], '', alone[1], alone[2], '', '']);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
