import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  numericGradient,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { KVCache } from './kv-cache.js';
import { paddingMask } from './masks.js';
import { MultiHeadAttention, type MultiHeadAttentionOptions } from './multi-head-attention.js';
import { random, reference } from './testing/fixtures.js';

interface Case {
  name: string;
  options: MultiHeadAttentionOptions;
  B: number;
  T: number;
  /** Key/value length for cross-attention; self-attention when absent. */
  S?: number;
  causal?: boolean;
  lengths?: number[];
}

const CASES: Case[] = [
  {
    name: 'self-attention, causal, key padding',
    options: { numHeads: 2, keyDim: 3, inputDim: 5, rng: 1 },
    B: 2,
    T: 4,
    causal: true,
    lengths: [4, 2],
  },
  {
    name: 'cross-attention S ≠ T, other dims, no bias',
    options: {
      numHeads: 3,
      keyDim: 2,
      valueDim: 4,
      inputDim: 5,
      keyInputDim: 6,
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
    options: { numHeads: 4, numKeyValueHeads: 2, keyDim: 2, inputDim: 6, window: 2, rng: 3 },
    B: 1,
    T: 5,
    causal: true,
  },
  {
    name: 'MQA, T = 1 cross-attention',
    options: { numHeads: 2, numKeyValueHeads: 1, keyDim: 3, inputDim: 4, rng: 4 },
    B: 2,
    T: 1,
    S: 3,
  },
  {
    name: 'memory-efficient path',
    options: { numHeads: 2, keyDim: 3, inputDim: 4, memoryEfficient: { chunkSize: 2 }, rng: 5 },
    B: 2,
    T: 5,
    causal: true,
    lengths: [5, 3],
  },
];

describeWithBackends('MultiHeadAttention', () => {
  const kernels = (c: Case) =>
    c.options.memoryEfficient ? (['auto'] as const) : (['per-head', 'batched'] as const);
  for (const [c, kernel] of CASES.flatMap((c) => kernels(c).map((k) => [c, k] as const))) {
    it(`matches the float64 reference: ${c.name} (kernel ${kernel})`, () => {
      const mha = new MultiHeadAttention({ ...c.options, kernel });
      const cfg = mha.config;
      const S = c.S ?? c.T;
      const x = random(c.B * c.T * cfg.inputDim, 7);
      const kv = c.S === undefined ? x : random(c.B * S * cfg.keyInputDim, 8);
      const ref = reference(mha, x, kv, c.B, c.T, S, {
        causal: c.causal,
        allowed: c.lengths ? (b, _h, _i, j) => j < c.lengths![b]! : undefined,
      });
      tf.tidy(() => {
        const query = tf.tensor3d(x, [c.B, c.T, cfg.inputDim]);
        const value = c.S === undefined ? undefined : tf.tensor3d(kv, [c.B, S, cfg.keyInputDim]);
        const mask = c.lengths ? paddingMask(c.lengths, S) : undefined;
        const call = { value, mask, causal: c.causal };
        const out = mha.apply(query, call);
        expect(out.shape).toEqual([c.B, c.T, cfg.outputDim]);
        expectTensorsClose(out, ref.output, { atol: 1e-5 });
        if (!cfg.memoryEfficient) {
          const { output, weights } = mha.apply(query, { ...call, returnAttentionWeights: true });
          expectTensorsClose(output, ref.output, { atol: 1e-5 });
          expectTensorsClose(weights, ref.weights, { atol: 1e-6 });
        }
      });
      mha.dispose();
    });
  }

  for (const kernel of ['per-head', 'batched'] as const) {
    it(`parameter and input gradients match finite differences of the float64 reference (kernel ${kernel})`, () => {
      const mha = new MultiHeadAttention({
        kernel,
        numHeads: 2,
        numKeyValueHeads: 1,
        keyDim: 2,
        valueDim: 3,
        inputDim: 3,
        rng: 11,
      });
      const [B, T] = [2, 3];
      const x = random(B * T * 3, 12);
      const upstream = random(B * T * 3, 13);
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
      tf.tidy(() => {
        const input = tf.tensor3d(x, [B, T, 3]);
        const w = tf.tensor3d(upstream, [B, T, 3]);
        const f = () => tf.sum(tf.mul(mha.apply(input, { causal: true }), w)) as tf.Scalar;
        const { grads } = tf.variableGrads(f);
        const inputGrad = tf.grad((inp: tf.Tensor) =>
          tf.sum(tf.mul(mha.apply(inp, { causal: true }), w)),
        )(input);
        const analytic = [
          ...named.flatMap(([, v]) => Array.from(grads[v.name]!.dataSync())),
          ...inputGrad.dataSync(),
        ];
        expectTensorsClose(analytic, numeric, { atol: 2e-4, rtol: 1e-3 });
      });
      mha.dispose();
    });
  }

  it('memory-efficient MHA gives the plain gradients, with the mask built inside the loss', () => {
    const options = { numHeads: 2, numKeyValueHeads: 1, keyDim: 3, inputDim: 4 };
    const plain = new MultiHeadAttention({ ...options, rng: 71 });
    const chunked = new MultiHeadAttention({
      ...options,
      memoryEfficient: { chunkSize: 2 },
      rng: 72,
    });
    chunked.loadStateDict(plain.stateDict());
    tf.tidy(() => {
      const x = tf.tensor3d(random(2 * 5 * 4, 73), [2, 5, 4]);
      const grads = (mha: MultiHeadAttention) => {
        const { grads } = tf.variableGrads(
          () =>
            tf.sum(
              tf.square(mha.apply(x, { causal: true, mask: paddingMask([5, 3], 5) })),
            ) as tf.Scalar,
          mha.trainableParameters(),
        );
        return mha.parameters().map((v) => grads[v.name]!);
      };
      const expected = grads(plain);
      for (const [i, g] of grads(chunked).entries())
        expectTensorsClose(g, expected[i]!, { atol: 1e-5 });
    });
    plain.dispose();
    chunked.dispose();
  });

  it('getConfig / fromConfig round-trip; a loaded state dict reproduces the output', () => {
    const mha = new MultiHeadAttention({
      numHeads: 2,
      numKeyValueHeads: 1,
      keyDim: 3,
      inputDim: 4,
      window: 3,
      dropout: 0.1,
      rng: 31,
    });
    const config = mha.getConfig();
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    const copy = MultiHeadAttention.fromConfig(config, 99);
    expect(copy.getConfig()).toEqual(config);
    copy.loadStateDict(mha.stateDict());
    mha.eval();
    copy.eval();
    tf.tidy(() => {
      const x = tf.tensor3d(random(2 * 5 * 4, 32), [2, 5, 4]);
      expectTensorsClose(copy.apply(x, { causal: true }), mha.apply(x, { causal: true }), {
        atol: 0,
        rtol: 0,
      });
    });
    expect(mha.parameterCount()).toBe(4 * 6 + 6 + 2 * (4 * 3 + 3) + 6 * 4 + 4);
    mha.dispose();
    copy.dispose();
  });

  for (const memoryEfficient of [false, { chunkSize: 2 }] as const) {
    it(`attention dropout: active only in training mode, seeded by the layer rng (memoryEfficient: ${JSON.stringify(memoryEfficient)})`, () => {
      const make = () =>
        new MultiHeadAttention({
          numHeads: 2,
          keyDim: 4,
          inputDim: 4,
          dropout: 0.5,
          memoryEfficient,
          rng: 41,
        });
      const [a, b] = [make(), make()];
      tf.tidy(() => {
        const x = tf.tensor3d(random(1 * 6 * 4, 42), [1, 6, 4]);
        const trainA = a.apply(x);
        expectTensorsClose(b.apply(x), trainA, { atol: 0, rtol: 0 });
        expect(a.apply(x).arraySync()).not.toEqual(trainA.arraySync());
        a.eval();
        const evalOut = a.apply(x);
        expectTensorsClose(a.apply(x), evalOut, { atol: 0, rtol: 0 });
        expect(evalOut.arraySync()).not.toEqual(trainA.arraySync());
      });
      a.dispose();
      b.dispose();
    });
  }

  it('forward and backward leave no tensors behind', async () => {
    const mha = new MultiHeadAttention({
      numHeads: 2,
      keyDim: 2,
      inputDim: 4,
      dropout: 0.2,
      rng: 51,
    });
    const x = tf.tensor3d(random(2 * 3 * 4, 52), [2, 3, 4]);
    await assertNoLeaks(() => {
      mha.apply(x, { causal: true }).dispose();
      const { output, weights } = mha.apply(x, { returnAttentionWeights: true });
      tf.dispose([output, weights]);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(mha.apply(x, { causal: true })) as tf.Scalar,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    mha.dispose();
  });

  it('bad arguments raise typed errors naming the argument and both shapes', () => {
    expect(
      () => new MultiHeadAttention({ numHeads: 4, numKeyValueHeads: 3, keyDim: 2, inputDim: 4 }),
    ).toThrow(/numKeyValueHeads: expected a divisor of numHeads = 4, got 3/);
    expect(
      () =>
        new MultiHeadAttention({ numHeads: 2, keyDim: 2, inputDim: 4, position: 'xpos' as 'rope' }),
    ).toThrow(/position: expected 'none', 'rope' or 'alibi', got 'xpos'/);
    expect(() => new MultiHeadAttention({ numHeads: 0, keyDim: 2, inputDim: 4 })).toThrow(
      AttentionArgumentError,
    );
    const mha = new MultiHeadAttention({
      numHeads: 2,
      keyDim: 2,
      inputDim: 4,
      keyInputDim: 3,
      rng: 61,
    });
    tf.tidy(() => {
      expect(() => mha.apply(tf.zeros([2, 3, 5]))).toThrow(
        /query: expected shape \[B, T, 4\], got \[2, 3, 5\]/,
      );
      expect(() => mha.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([1, 5, 3]) })).toThrow(
        /key: expected shape \[2, S, 3\], got \[1, 5, 3\]/,
      );
      expect(() =>
        mha.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([2, 5, 3]), key: tf.zeros([2, 4, 3]) }),
      ).toThrow(AttentionShapeError);
      expect(() =>
        mha.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([2, 5, 3]), cache: new KVCache() }),
      ).toThrow(/call.cache/);
      const rope = new MultiHeadAttention({
        numHeads: 2,
        keyDim: 2,
        inputDim: 4,
        keyInputDim: 3,
        position: 'rope',
        rng: 62,
      });
      expect(() => rope.apply(tf.zeros([2, 3, 4]), { value: tf.zeros([2, 5, 3]) })).toThrow(
        /position: expected 'none' for cross-attention, got 'rope'/,
      );
      rope.dispose();
    });
    mha.dispose();
  });
});
