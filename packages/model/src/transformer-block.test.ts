import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  maxAbsDiff,
  paramLookup,
  randomFloats,
  randomizeParameters,
  refBlockWeightsAt,
  refDecoderBlock,
  refDecoderWeightsAt,
  refTransformerBlock,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  Decoder,
  Encoder,
  ModelArgumentError,
  ModelConfigError,
  TransformerBlock,
} from './index.js';

const [B, T, C, H, F] = [2, 3, 4, 2, 6];

describeWithBackends('TransformerBlock', () => {
  it.each([
    { preNorm: false, causal: false, activation: 'relu', useBias: true, kernel: 'per-head' },
    { preNorm: false, causal: false, activation: 'relu', useBias: true, kernel: 'batched' },
    { preNorm: true, causal: true, activation: 'gelu', useBias: false, kernel: 'per-head' },
    { preNorm: true, causal: true, activation: 'gelu', useBias: false, kernel: 'batched' },
    // The residual stream as rows [B·T, C] in and out (how a stack calls its blocks).
    {
      preNorm: false,
      causal: true,
      activation: 'relu',
      useBias: true,
      kernel: 'batched',
      rows: true,
    },
    {
      preNorm: true,
      causal: false,
      activation: 'gelu',
      useBias: false,
      kernel: 'per-head',
      rows: true,
    },
  ] as const)('matches the float64 block and its finite differences: %o', async (o) => {
    const rows = 'rows' in o;
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
      forward: ([x]) => {
        const y = block.apply(x!, { causal: o.causal, batchSize: rows ? B : undefined });
        expect(y.shape).toEqual(x!.shape);
        return y;
      },
      reference: ([x, ...params]) =>
        refTransformerBlock({
          x: x!,
          B,
          T,
          C,
          H,
          F,
          weights: refBlockWeightsAt(paramLookup(names, params), ''),
          preNorm: o.preNorm,
          causal: o.causal,
          activation: o.activation,
          eps: 1e-5,
        }),
      inputs: [{ values: randomFloats(B * T * C, 1), shape: rows ? [B * T, C] : [B, T, C] }],
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

  it('round-trips the configs of a cross-attention block, Encoder and Decoder', () => {
    const config = { dModel: 8, numHeads: 2, dFF: 12, preNorm: true, rng: 0 };
    const dec = new TransformerBlock({ ...config, crossAttention: true });
    const encoder = new Encoder({ ...config, numLayers: 2 });
    const decoder = new Decoder({ ...config, numLayers: 2 });
    const copies = [
      TransformerBlock.fromConfig(dec.getConfig()),
      Encoder.fromConfig(encoder.getConfig()),
      Decoder.fromConfig(decoder.getConfig()),
    ];
    [dec, encoder, decoder].forEach((m, i) => {
      expect(copies[i]!.getConfig()).toEqual(m.getConfig());
      expect(copies[i]!.parameterCount()).toBe(m.parameterCount());
    });
    // Pre-LN stacks end with a LayerNorm: 2·(block) + 16; a decoder layer adds an attention
    // (4·(64 + 8)) and a LayerNorm (16) to a block.
    const block = new TransformerBlock(config);
    expect(encoder.parameterCount()).toBe(2 * block.parameterCount() + 16);
    expect(dec.parameterCount()).toBe(block.parameterCount() + 288 + 16);
    expect(decoder.parameterCount()).toBe(2 * dec.parameterCount() + 16);
    expect(encoder.getConfig().crossAttention).toBe(false);
    expect(decoder.getConfig().crossAttention).toBe(true);
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

describeWithBackends('TransformerBlock with cross-attention', () => {
  it.each([false, true])(
    'matches the float64 decoder layer and its finite differences (preNorm %s)',
    async (preNorm) => {
      const S = 5;
      const dec = new TransformerBlock({
        dModel: C,
        numHeads: H,
        dFF: F,
        preNorm,
        layerNormEps: 1e-5,
        crossAttention: true,
        rng: 8,
      });
      randomizeParameters(dec, 80);
      const named = dec.namedParameters();
      const names = named.map(([n]) => n);
      await checkLayer({
        forward: ([x, memory]) => dec.apply(x!, { memory: memory! }),
        reference: ([x, memory, ...params]) =>
          refDecoderBlock({
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
            ...refDecoderWeightsAt(paramLookup(names, params), ''),
          }),
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

  it('with zero memory attention output reduces to a block without it', async () => {
    // Cross-attention whose output projection is zero adds nothing (post-LN over x + 0 would
    // still normalise, so use pre-LN): the block then equals a causal pre-LN block without
    // cross-attention with the same self-attention and FFN weights.
    const dec = new TransformerBlock({
      dModel: C,
      numHeads: H,
      dFF: F,
      preNorm: true,
      crossAttention: true,
      rng: 4,
    });
    const cross = dec.crossAttn!;
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
    cross.output.kernel.assign(tf.zerosLike(cross.output.kernel));
    cross.output.bias?.assign(tf.zerosLike(cross.output.bias));
    const x = tf.tensor(Float32Array.from(randomFloats(B * T * C, 6)), [B, T, C]);
    const memory = tf.tensor(Float32Array.from(randomFloats(B * 5 * C, 7)), [B, 5, C]);
    await assertNoLeaks(async () => {
      const a = dec.apply(x, { memory });
      const b = enc.apply(x, { causal: true });
      expect(await maxAbsDiff(a, b)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    });
    // A non-zero cross-attention makes the output depend on the memory.
    randomizeParameters(cross, 30);
    const m2 = tf.mul(memory, 2);
    const [a, b] = [dec.apply(x, { memory }), dec.apply(x, { memory: m2 })];
    expect(await maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
    tf.dispose([a, b, m2, x, memory]);
    dec.dispose();
    enc.dispose();
  });
});

describeWithBackends('TransformerBlock layouts', () => {
  const config = { dModel: 4, numHeads: 2, dFF: 6, rng: 0 };
  const projections = (name: string) =>
    ['query', 'key', 'value', 'output'].flatMap((p) => [
      `${name}.${p}.kernel`,
      `${name}.${p}.bias`,
    ]);
  const ffn = ['ffn.up.kernel', 'ffn.up.bias', 'ffn.down.kernel', 'ffn.down.bias'];
  const ln = (name: string) => [`${name}.gamma`, `${name}.beta`];

  it('keeps the saved parameter names, in forward order, of both layouts', () => {
    // These names are what checkpoints and Hugging Face exports hold: pinned here.
    const block = new TransformerBlock(config);
    expect(block.namedParameters().map(([n]) => n)).toEqual([
      ...projections('attn'),
      ...ln('ln1'),
      ...ffn,
      ...ln('ln2'),
    ]);
    const dec = new TransformerBlock({ ...config, crossAttention: true });
    expect(dec.namedParameters().map(([n]) => n)).toEqual([
      ...projections('selfAttn'),
      ...ln('ln1'),
      ...projections('crossAttn'),
      ...ln('ln2'),
      ...ffn,
      ...ln('ln3'),
    ]);
    block.dispose();
    dec.dispose();
  });

  it('names its hook points after its children', () => {
    const block = new TransformerBlock(config);
    const dec = new TransformerBlock({ ...config, crossAttention: true });
    expect(block.hookPoints()).toEqual([
      'residPre',
      'attn.weights',
      'attn.headOutput',
      'attnOut',
      'residMid',
      'mlpOut',
      'residPost',
    ]);
    expect(dec.hookPoints()).toEqual([
      'residPre',
      'selfAttn.weights',
      'selfAttn.headOutput',
      'selfAttnOut',
      'crossAttn.weights',
      'crossAttn.headOutput',
      'crossAttnOut',
      'residMid',
      'mlpOut',
      'residPost',
    ]);
    block.dispose();
    dec.dispose();
  });

  it('takes [B, T, dModel] or rows [B·T, dModel] with batchSize, else a typed error naming x', () => {
    const block = new TransformerBlock(config);
    const bad = [tf.zeros([2, 3, 5]), tf.zeros([6, 4]), tf.zeros([2, 3, 4], 'int32')];
    const before = tf.memory().numTensors;
    expect(() => block.apply(bad[0]!)).toThrow(
      "x: expected a float32 tensor [B, T, 4], got 'float32 [2, 3, 5]'",
    );
    expect(() => block.apply(bad[1]!)).toThrow(ModelArgumentError);
    expect(() => block.apply(bad[1]!, { batchSize: 4 })).toThrow(
      "x: expected a float32 tensor [B·T, 4] with B = 4, got 'float32 [6, 4]'",
    );
    expect(() => block.apply(bad[2]!)).toThrow(/^x: expected a float32 tensor/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(bad);
    block.dispose();
  });

  it('asks for the memory exactly when it has cross-attention', () => {
    const block = new TransformerBlock(config);
    const dec = new TransformerBlock({ ...config, crossAttention: true });
    const x = tf.zeros([1, 2, 4]);
    expect(() => dec.apply(x)).toThrow(ModelArgumentError);
    expect(() => dec.apply(x)).toThrow(/memory/);
    expect(() => block.apply(x, { memory: x })).toThrow(/memory/);
    expect(() => new TransformerBlock({ ...config, crossAttention: 1 as never })).toThrow(
      'crossAttention: expected true or false, got 1',
    );
    x.dispose();
    block.dispose();
    dec.dispose();
  });
});
