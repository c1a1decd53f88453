import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  maxAbsDiff,
  type RefBlockWeights,
  randomFloats,
  randomizeParameters,
  refDecoderBlock,
  refTransformerBlock,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { Decoder, DecoderBlock, Encoder, ModelConfigError, TransformerBlock } from './index.js';

const [B, T, C, H, F] = [2, 3, 4, 2, 6];

/** The block's parameters by name as the float64 reference wants them. */
function refWeights(names: string[], values: Float64Array[]): RefBlockWeights {
  const p = (n: string) => values[names.indexOf(n)];
  return {
    wq: p('attn.query.kernel')!,
    bq: p('attn.query.bias'),
    wk: p('attn.key.kernel')!,
    bk: p('attn.key.bias'),
    wv: p('attn.value.kernel')!,
    bv: p('attn.value.bias'),
    wo: p('attn.output.kernel')!,
    bo: p('attn.output.bias'),
    ln1Gamma: p('ln1.gamma')!,
    ln1Beta: p('ln1.beta'),
    w1: p('ffn.up.kernel')!,
    b1: p('ffn.up.bias'),
    w2: p('ffn.down.kernel')!,
    b2: p('ffn.down.bias'),
    ln2Gamma: p('ln2.gamma')!,
    ln2Beta: p('ln2.beta'),
  };
}

describeWithBackends('TransformerBlock', () => {
  it.each([
    { preNorm: false, causal: false, activation: 'relu', useBias: true, kernel: 'per-head' },
    { preNorm: false, causal: false, activation: 'relu', useBias: true, kernel: 'batched' },
    { preNorm: true, causal: true, activation: 'gelu', useBias: false, kernel: 'per-head' },
    { preNorm: true, causal: true, activation: 'gelu', useBias: false, kernel: 'batched' },
  ] as const)('matches the float64 block and its finite differences: %o', async (o) => {
    const block = new TransformerBlock({
      dModel: C,
      numHeads: H,
      dFF: F,
      activation: o.activation,
      preNorm: o.preNorm,
      useBias: o.useBias,
      layerNormEps: 1e-5,
      attentionKernel: o.kernel,
      rng: 3,
    });
    randomizeParameters(block, 10);
    const named = block.namedParameters();
    const names = named.map(([n]) => n);
    await checkLayer({
      forward: ([x]) => block.apply(x!, { causal: o.causal }),
      reference: ([x, ...params]) =>
        refTransformerBlock({
          x: x!,
          B,
          T,
          C,
          H,
          F,
          weights: refWeights(names, params),
          preNorm: o.preNorm,
          causal: o.causal,
          activation: o.activation,
          eps: 1e-5,
        }),
      inputs: [{ values: randomFloats(B * T * C, 1), shape: [B, T, C] }],
      variables: named.map(([, v]) => v),
      gradTolerance: { atol: 5e-3, rtol: 5e-3 },
    });
    block.dispose();
  });

  it('round-trips its config and counts parameters from it', () => {
    const block = new TransformerBlock({ dModel: 8, numHeads: 2, dFF: 16, rng: 0 });
    const copy = TransformerBlock.fromConfig(block.getConfig(), { rng: 0 });
    expect(copy.getConfig()).toEqual(block.getConfig());
    // 4 projections 4·(64 + 8), FFN 8·16 + 16 + 16·8 + 8, 2 LayerNorms 2·16.
    expect(block.parameterCount()).toBe(288 + 280 + 32);
    block.dispose();
    copy.dispose();
  });

  it('round-trips the configs of DecoderBlock, Encoder and Decoder', () => {
    const config = { dModel: 8, numHeads: 2, dFF: 12, preNorm: true, rng: 0 };
    const dec = new DecoderBlock(config);
    const encoder = new Encoder({ ...config, numLayers: 2 });
    const decoder = new Decoder({ ...config, numLayers: 2 });
    const copies = [
      DecoderBlock.fromConfig(dec.getConfig()),
      Encoder.fromConfig(encoder.getConfig()),
      Decoder.fromConfig(decoder.getConfig()),
    ];
    [dec, encoder, decoder].forEach((m, i) => {
      expect(copies[i]!.getConfig()).toEqual(m.getConfig());
      expect(copies[i]!.parameterCount()).toBe(m.parameterCount());
    });
    // Pre-LN stacks end with a LayerNorm: 2·(block) + 16.
    const block = new TransformerBlock(config);
    expect(encoder.parameterCount()).toBe(2 * block.parameterCount() + 16);
    for (const m of [dec, encoder, decoder, block, ...copies]) m.dispose();
  });

  it('rejects a width not divisible by the heads, naming the field', () => {
    expect(() => new TransformerBlock({ dModel: 10, numHeads: 3 })).toThrow(ModelConfigError);
    expect(() => new TransformerBlock({ dModel: 10, numHeads: 3 })).toThrow(
      'dModel: 10 is not divisible by numHeads 3',
    );
  });

  it('applies dropout only in training mode', async () => {
    const block = new TransformerBlock({ dModel: C, numHeads: H, dropout: 0.5, rng: 1 });
    const x = tf.tensor(Float32Array.from(randomFloats(B * T * C, 2)), [B, T, C]);
    await assertNoLeaks(async () => {
      const a = block.apply(x);
      const b = block.apply(x);
      block.eval();
      const c = block.apply(x);
      const d = block.apply(x);
      expect(await maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
      expect(await maxAbsDiff(c, d)).toBe(0);
      tf.dispose([a, b, c, d]);
    });
    x.dispose();
    block.dispose();
  });
});

describeWithBackends('DecoderBlock', () => {
  it.each([false, true])(
    'matches the float64 decoder layer and its finite differences (preNorm %s)',
    async (preNorm) => {
      const S = 5;
      const dec = new DecoderBlock({
        dModel: C,
        numHeads: H,
        dFF: F,
        preNorm,
        layerNormEps: 1e-5,
        rng: 8,
      });
      randomizeParameters(dec, 80);
      const named = dec.namedParameters();
      const names = named.map(([n]) => n);
      const attention = (p: (n: string) => Float64Array, prefix: string) => ({
        wq: p(`${prefix}.query.kernel`),
        bq: p(`${prefix}.query.bias`),
        wk: p(`${prefix}.key.kernel`),
        bk: p(`${prefix}.key.bias`),
        wv: p(`${prefix}.value.kernel`),
        bv: p(`${prefix}.value.bias`),
        wo: p(`${prefix}.output.kernel`),
        bo: p(`${prefix}.output.bias`),
      });
      await checkLayer({
        forward: ([x, memory]) => dec.apply(x!, { memory: memory! }),
        reference: ([x, memory, ...params]) => {
          const p = (n: string) => params[names.indexOf(n)]!;
          return refDecoderBlock({
            x: x!,
            memory: memory!,
            B,
            T,
            S,
            C,
            H,
            F,
            preNorm,
            activation: 'relu',
            eps: 1e-5,
            weights: {
              ...attention(p, 'selfAttn'),
              ln1Gamma: p('ln1.gamma'),
              ln1Beta: p('ln1.beta'),
              w1: p('ffn.up.kernel'),
              b1: p('ffn.up.bias'),
              w2: p('ffn.down.kernel'),
              b2: p('ffn.down.bias'),
              ln2Gamma: p('ln2.gamma'),
              ln2Beta: p('ln2.beta'),
            },
            cross: attention(p, 'crossAttn'),
            ln3Gamma: p('ln3.gamma'),
            ln3Beta: p('ln3.beta'),
          });
        },
        inputs: [
          { values: randomFloats(B * T * C, 11), shape: [B, T, C] },
          { values: randomFloats(B * S * C, 12), shape: [B, S, C] },
        ],
        variables: named.map(([, v]) => v),
        gradTolerance: { atol: 5e-3, rtol: 5e-3 },
      });
      dec.dispose();
    },
  );

  it('with zero memory attention output reduces to a TransformerBlock', async () => {
    // Cross-attention whose output projection is zero adds nothing (post-LN over x + 0 would
    // still normalise, so use pre-LN): the block then equals a causal pre-LN TransformerBlock
    // with the same self-attention and FFN weights.
    const dec = new DecoderBlock({ dModel: C, numHeads: H, dFF: F, preNorm: true, rng: 4 });
    const enc = new TransformerBlock({ dModel: C, numHeads: H, dFF: F, preNorm: true, rng: 5 });
    randomizeParameters(dec, 20);
    const map: Record<string, string> = { selfAttn: 'attn', ln1: 'ln1', ln3: 'ln2', ffn: 'ffn' };
    const state = Object.fromEntries(
      dec
        .namedParameters()
        .filter(([n]) => map[n.split('.')[0]!])
        .map(([n, v]) => [n.replace(/^[a-zA-Z0-9]+/, (m) => map[m]!), v]),
    );
    enc.loadStateDict(state);
    dec.crossAttn.output.kernel.assign(tf.zerosLike(dec.crossAttn.output.kernel));
    dec.crossAttn.output.bias?.assign(tf.zerosLike(dec.crossAttn.output.bias));
    const x = tf.tensor(Float32Array.from(randomFloats(B * T * C, 6)), [B, T, C]);
    const memory = tf.tensor(Float32Array.from(randomFloats(B * 5 * C, 7)), [B, 5, C]);
    await assertNoLeaks(async () => {
      const a = dec.apply(x, { memory });
      const b = enc.apply(x, { causal: true });
      expect(await maxAbsDiff(a, b)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    });
    // A non-zero cross-attention makes the output depend on the memory.
    randomizeParameters(dec.crossAttn, 30);
    const m2 = tf.mul(memory, 2);
    const [a, b] = [dec.apply(x, { memory }), dec.apply(x, { memory: m2 })];
    expect(await maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
    tf.dispose([a, b, m2, x, memory]);
    dec.dispose();
    enc.dispose();
  });
});
