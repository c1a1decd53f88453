import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  maxAbsDiff,
  paramLookup,
  randomizeParameters,
  refBlockWeightsAt,
  refDecoderBlock,
  refDecoderWeightsAt,
  refSinusoidal,
  refTransformerBlock,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { beamSearchEncoderDecoder, generateSeq2Seq } from './generate.js';
import {
  DecoderCache,
  ENCODER_DECODER_PRESETS,
  EncoderDecoder,
  ModelConfigError,
} from './index.js';

describeWithBackends('EncoderDecoder (transformerBase)', () => {
  it('counts the base model: shared 37k vocabulary, N = 6, d = 512, h = 8, d_ff = 2048', () => {
    const model = new EncoderDecoder(ENCODER_DECODER_PRESETS.transformerBase, { rng: 0 });
    const d = 512;
    const attention = 4 * (d * d + d);
    const ffn = 2 * d * 2048 + 2048 + d;
    const norm = 2 * d;
    const encoderLayer = attention + ffn + 2 * norm;
    const decoderLayer = 2 * attention + ffn + 3 * norm;
    expect(model.parameterCount()).toBe(37000 * d + 6 * encoderLayer + 6 * decoderLayer);
    model.dispose();
  });

  it('rejects shared embeddings over different vocabularies', () => {
    expect(
      () =>
        new EncoderDecoder({
          ...ENCODER_DECODER_PRESETS.transformerBase,
          tgtVocabSize: 100,
        }),
    ).toThrow(ModelConfigError);
  });
}, ['cpu']);

describeWithBackends('EncoderDecoder', () => {
  const [B, S, T, C, H, F, Vs, Vt] = [2, 4, 3, 4, 2, 6, 7, 5];
  const src = [
    [1, 6, 3, 2],
    [4, 4, 0, 5],
  ];
  const tgt = [
    [0, 3, 1],
    [2, 4, 4],
  ];
  const config = {
    srcVocabSize: Vs,
    tgtVocabSize: Vt,
    numLayers: 1,
    dModel: C,
    numHeads: H,
    dFF: F,
    dropout: 0,
    maxLength: 8,
  };

  it('matches a float64 paper Transformer (√d embeddings + sinusoids, post-LN, tied output), with gradients', async () => {
    const model = new EncoderDecoder(config, { rng: 1 });
    randomizeParameters(model, 100);
    const named = model.namedParameters();
    const names = named.map(([n]) => n);
    const pe = refSinusoidal(8, C);
    const embed = (table: ArrayLike<number>, ids: number[][], L: number) => {
      const out = new Float64Array(B * L * C);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < L; t++)
          for (let c = 0; c < C; c++)
            out[(b * L + t) * C + c] = table[ids[b]![t]! * C + c]! * Math.sqrt(C) + pe[t * C + c]!;
      return out;
    };
    const common = { B, C, H, F, preNorm: false, activation: 'relu', eps: 1e-6 } as const;
    await checkLayer({
      forward: () =>
        tf.tidy(() =>
          model.apply(tf.tensor2d(src, undefined, 'int32'), tf.tensor2d(tgt, undefined, 'int32')),
        ),
      reference: (params) => {
        const get = paramLookup(names, params);
        const p = (n: string) => get(n)!;
        const memory = refTransformerBlock({
          ...common,
          x: embed(p('srcEmbed.embeddings'), src, S),
          T: S,
          causal: false,
          weights: refBlockWeightsAt(get, 'encoder.layers.0'),
        });
        const h = refDecoderBlock({
          ...common,
          x: embed(p('tgtEmbed.embeddings'), tgt, T),
          memory,
          T,
          S,
          ...refDecoderWeightsAt(get, 'decoder.layers.0'),
        });
        // Tied output: logits = h · Eᵀ over the target embedding.
        const table = p('tgtEmbed.embeddings');
        const logits = new Float64Array(B * T * Vt);
        for (let r = 0; r < B * T; r++)
          for (let v = 0; v < Vt; v++)
            for (let c = 0; c < C; c++) logits[r * Vt + v]! += h[r * C + c]! * table[v * C + c]!;
        return logits;
      },
      inputs: [],
      variables: named.map(([, v]) => v),
      gradTolerance: { atol: 5e-3, rtol: 5e-3 },
    });
    model.dispose();
  });

  it('decodes with a KV cache exactly as without, and hides source padding', async () => {
    const model = new EncoderDecoder({ ...config, padTokenId: 0 }, { rng: 2 });
    randomizeParameters(model, 110);
    const s = tf.tensor2d(src, undefined, 'int32');
    // Target ids avoid the pad id 0: a real target never contains padding before its end.
    const t = tf.tensor2d(
      [
        [3, 3, 1],
        [2, 4, 4],
      ],
      undefined,
      'int32',
    );
    await assertNoLeaks(async () => {
      const full = model.apply(s, t);
      const memory = model.encode(s);
      const mask = model.keyMask(s);
      const cache = new DecoderCache(1);
      const steps = [0, 1, 2].map((i) =>
        tf.tidy(() => model.decode(tf.slice(t, [0, i], [B, 1]), memory, mask, cache)),
      );
      const stepped = tf.concat(steps, 1);
      expect(await maxAbsDiff(full, stepped)).toBeLessThan(1e-4);
      // Row 1 has a pad (id 0) inside the source; extra trailing padding changes nothing either.
      const padded = tf.tidy(() => tf.concat([s, tf.zeros([B, 2], 'int32')], 1));
      const withPad = model.apply(padded, t);
      expect(await maxAbsDiff(full, withPad)).toBeLessThan(1e-5);
      tf.dispose([full, memory, mask!, stepped, ...steps, padded, withPad]);
      cache.dispose();
    });
    tf.dispose([s, t]);
    model.dispose();
  });

  it('greedy decoding and beam search free every tensor; one beam is greedy', async () => {
    const model = new EncoderDecoder({ ...config, padTokenId: 0 }, { rng: 3 });
    randomizeParameters(model, 120);
    const greedy = await assertNoLeaks(() =>
      generateSeq2Seq(model, src, { startToken: 1, maxNewTokens: 5, stopTokens: [2] }),
    );
    const [one] = await assertNoLeaks(() =>
      beamSearchEncoderDecoder(model, src[0]!, {
        startToken: 1,
        numBeams: 1,
        maxNewTokens: 5,
        stopTokens: [2],
      }),
    );
    expect(one!.tokens).toEqual(greedy[0]);
    await assertNoLeaks(() =>
      beamSearchEncoderDecoder(model, src[1]!, { startToken: 1, numBeams: 3, maxNewTokens: 4 }),
    );
    model.dispose();
  });
});
