import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectTensorsClose,
  numericGradient,
  type RefMultiHeadInput,
  refAlibi,
  refMultiHeadAttention,
  refRope,
  tidyAsync,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionShapeError } from './errors.js';
import { paddingMask } from './masks.js';
import { MultiHeadAttention, type MultiHeadAttentionOptions } from './multi-head-attention.js';
import { random, tinyAttention } from './testing/fixtures.js';

interface Case {
  name: string;
  options: MultiHeadAttentionOptions;
  B: number;
  T: number;
  /** Key/value length for cross-attention; self-attention when absent. */
  S?: number;
  causal?: boolean;
  lengths?: number[];
  /** The query as flat rows `[B·T, dModel]` with `batchSize` B. */
  flat?: boolean;
}

// Self-attention over B·T ≥ dModel rows takes one fused q/k/v product (not on wasm), fewer rows three.
const CASES: Case[] = [
  {
    name: 'self-attention, causal, key padding',
    options: { numHeads: 2, headSize: 3, dModel: 5, rng: 1 },
    B: 2,
    T: 4,
    causal: true,
    lengths: [4, 2],
  },
  {
    name: 'cross-attention S ≠ T, other dims, no bias',
    options: {
      numHeads: 3,
      headSize: 2,
      valueHeadSize: 4,
      dModel: 5,
      memoryDim: 6,
      outputDim: 7,
      useBias: false,
      rng: 2,
    },
    B: 2,
    T: 3,
    S: 6,
  },
  {
    name: 'GQA with a causal window',
    options: { numHeads: 4, numKeyValueHeads: 2, headSize: 2, dModel: 6, window: 2, rng: 3 },
    B: 1,
    T: 5,
    causal: true,
  },
  {
    name: 'GQA with a causal window, flat rows (fused q/k/v)',
    options: { numHeads: 4, numKeyValueHeads: 2, headSize: 2, dModel: 6, window: 2, rng: 3 },
    B: 2,
    T: 5,
    causal: true,
    flat: true,
  },
  {
    name: 'MQA, T = 1 cross-attention',
    options: { numHeads: 2, numKeyValueHeads: 1, headSize: 3, dModel: 4, rng: 4 },
    B: 2,
    T: 1,
    S: 3,
  },
  {
    name: 'memory-efficient path',
    options: { numHeads: 2, headSize: 3, dModel: 4, memoryEfficient: { chunkSize: 2 }, rng: 5 },
    B: 2,
    T: 5,
    causal: true,
    lengths: [5, 3],
  },
];

/** The layer's current parameters as the reference's projections. */
function projections(mha: MultiHeadAttention): RefMultiHeadInput['projections'] {
  const read = (d: MultiHeadAttention['query']) => ({
    kernel: d.kernel.dataSync(),
    bias: d.bias?.dataSync(),
  });
  return {
    query: read(mha.query),
    key: read(mha.key),
    value: read(mha.value),
    output: read(mha.output),
  };
}

function reference(
  mha: MultiHeadAttention,
  query: Float32Array,
  kv: Float32Array,
  B: number,
  T: number,
  S: number,
  extra: Partial<RefMultiHeadInput> = {},
) {
  const c = mha.config;
  return refMultiHeadAttention({
    query,
    key: kv,
    value: kv,
    B,
    T,
    S,
    H: c.numHeads,
    Hkv: c.numKeyValueHeads,
    dModel: c.dModel,
    memoryDim: c.memoryDim,
    valueMemoryDim: c.valueMemoryDim,
    headSize: c.headSize,
    valueHeadSize: c.valueHeadSize,
    outputDim: c.outputDim,
    window: c.window,
    projections: projections(mha),
    ...extra,
  });
}

describeWithBackends('MultiHeadAttention', () => {
  const kernels = (c: Case) =>
    c.options.memoryEfficient ? (['auto'] as const) : (['per-head', 'batched'] as const);
  for (const [c, kernel] of CASES.flatMap((c) => kernels(c).map((k) => [c, k] as const))) {
    it(`matches the float64 reference: ${c.name} (kernel ${kernel})`, async () => {
      const mha = new MultiHeadAttention({ ...c.options, kernel });
      const cfg = mha.config;
      const S = c.S ?? c.T;
      const x = random(c.B * c.T * cfg.dModel, 7);
      const kv = c.S === undefined ? x : random(c.B * S * cfg.memoryDim, 8);
      const ref = reference(mha, x, kv, c.B, c.T, S, {
        causal: c.causal,
        allowed: c.lengths ? (b, _h, _i, j) => j < c.lengths![b]! : undefined,
      });
      await tidyAsync(async () => {
        const query = c.flat
          ? tf.tensor2d(x, [c.B * c.T, cfg.dModel])
          : tf.tensor3d(x, [c.B, c.T, cfg.dModel]);
        const value = c.S === undefined ? undefined : tf.tensor3d(kv, [c.B, S, cfg.memoryDim]);
        const mask = c.lengths ? paddingMask(c.lengths, S) : undefined;
        const call = { value, mask, causal: c.causal, batchSize: c.flat ? c.B : undefined };
        const out = mha.apply(query, call);
        const rows = c.flat ? [c.B * c.T] : [c.B, c.T];
        expect(out.shape).toEqual([...rows, cfg.outputDim]);
        await expectTensorsClose(out, ref.output, { atol: 1e-5 });
        if (!cfg.memoryEfficient) {
          const { output, weights } = mha.apply(query, { ...call, returnAttentionWeights: true });
          await expectTensorsClose(output, ref.output, { atol: 1e-5 });
          await expectTensorsClose(weights, ref.weights, { atol: 1e-6 });
        }
      });
      mha.dispose();
    });
  }

  // Fused q/k/v split by columns (GQA or dv ≠ dk), fused MHA unstacked from [3, B, H, T, dk],
  // and three products (B·T < dModel; every case on wasm).
  const GRAD_CASES = [
    { name: 'MQA, dv ≠ dk, fused', B: 2, dModel: 3, kvHeads: 1, valueHeadSize: 3, flat: false },
    { name: 'MQA, flat rows, fused', B: 2, dModel: 4, kvHeads: 1, valueHeadSize: 2, flat: true },
    { name: 'MHA, flat rows, fused', B: 2, dModel: 4, kvHeads: 2, valueHeadSize: 2, flat: true },
    { name: 'MQA, three products', B: 1, dModel: 4, kvHeads: 1, valueHeadSize: 2, flat: false },
  ];
  for (const [g, kernel] of GRAD_CASES.flatMap((g) =>
    (['per-head', 'batched'] as const).map((k) => [g, k] as const),
  )) {
    it(`parameter and input gradients match finite differences of the float64 reference: ${g.name} (kernel ${kernel})`, async () => {
      const { B, dModel: d, valueHeadSize } = g;
      const mha = new MultiHeadAttention({
        kernel,
        numHeads: 2,
        numKeyValueHeads: g.kvHeads,
        headSize: 2,
        valueHeadSize,
        dModel: d,
        rng: 11,
      });
      const T = 3;
      const x = random(B * T * d, 12);
      const upstream = random(B * T * d, 13);
      const named = mha.namedParameters();
      expect(named.map(([n]) => n)).toEqual([
        'query.kernel',
        'query.bias',
        'key.kernel',
        'key.bias',
        'value.kernel',
        'value.bias',
        'output.kernel',
        'output.bias',
      ]);
      const sizes = named.map(([, v]) => v.size);
      const flat = Float64Array.from([...named.flatMap(([, v]) => Array.from(v.dataSync())), ...x]);
      const loss = (theta: Float64Array) => {
        let offset = 0;
        const take = (n: number) => theta.subarray(offset, (offset += n));
        const [qk, qb, kk, kb, vk, vb, ok, ob] = sizes.map(take);
        const input = take(x.length);
        const out = reference(mha, Float32Array.from(input), Float32Array.from(input), B, T, T, {
          causal: true,
          projections: {
            query: { kernel: qk!, bias: qb },
            key: { kernel: kk!, bias: kb },
            value: { kernel: vk!, bias: vb },
            output: { kernel: ok!, bias: ob },
          },
          query: input,
          key: input,
          value: input,
        }).output;
        return out.reduce((s, o, i) => s + o * upstream[i]!, 0);
      };
      const numeric = numericGradient(loss, flat, 1e-5);
      await tidyAsync(async () => {
        const shape = g.flat ? [B * T, d] : [B, T, d];
        const input = tf.tensor(x, shape);
        const w = tf.tensor(upstream, shape);
        const call = { causal: true, batchSize: g.flat ? B : undefined };
        const f = () => tf.sum(tf.mul(mha.apply(input, call), w)) as tf.Scalar;
        const { grads } = tf.variableGrads(f);
        const inputGrad = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(mha.apply(inp, call), w)))(
          input,
        );
        const analytic = [
          ...named.flatMap(([, v]) => Array.from(grads[v.name]!.dataSync())),
          ...inputGrad.dataSync(),
        ];
        await expectTensorsClose(analytic, numeric, { atol: 2e-4, rtol: 1e-3 });
      });
      mha.dispose();
    });
  }

  it('position: rope matches the float64 reference (RoPE on queries and keys, GQA, causal)', async () => {
    const mha = new MultiHeadAttention({
      numHeads: 4,
      numKeyValueHeads: 2,
      headSize: 4,
      dModel: 6,
      position: 'rope',
      maxLength: 16,
      rng: 81,
    });
    const [B, T] = [2, 5];
    const x = random(B * T * 6, 82);
    const ref = reference(mha, x, x, B, T, T, {
      causal: true,
      rotate: (h, shape, offset) => refRope(h, shape, offset, 'half'),
    });
    await tidyAsync(
      async () =>
        await expectTensorsClose(
          mha.apply(tf.tensor3d(x, [B, T, 6]), { causal: true }),
          ref.output,
          {
            atol: 1e-5,
          },
        ),
    );
    expect(mha.namedParameters().length).toBe(8); // RoPE adds no parameters
    mha.dispose();
  });

  it('position: alibi matches the float64 reference, combined with key padding', async () => {
    const mha = tinyAttention({ numHeads: 4, position: 'alibi', rng: 83 });
    const [B, T] = [2, 4];
    const x = random(B * T * 4, 84);
    const bias = refAlibi(mha.alibi!.slopes, T, T, 0);
    const lengths = [4, 3];
    const ref = reference(mha, x, x, B, T, T, {
      causal: true,
      bias: (_b, h, i, j) => bias[(h * T + i) * T + j]!,
      allowed: (b, _h, _i, j) => j < lengths[b]!,
    });
    await tidyAsync(async () => {
      const out = mha.apply(tf.tensor3d(x, [B, T, 4]), {
        causal: true,
        mask: paddingMask(lengths, T),
      });
      await expectTensorsClose(out, ref.output, { atol: 1e-5 });
      expect(() =>
        mha.apply(tf.tensor3d(x, [B, T, 4]), { mask: tf.ones([B, T + 1], 'bool') }),
      ).toThrow(AttentionShapeError);
    });
    mha.dispose();
  });
});
