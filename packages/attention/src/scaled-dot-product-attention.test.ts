import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  numericGradient,
  type RefAttentionInput,
  refAttention,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { causalMask, combineMasks, paddingMask, slidingWindowMask } from './masks.js';
import {
  type AttentionOptions,
  scaledDotProductAttention,
} from './scaled-dot-product-attention.js';

/** Reproducible uniform values in [-1, 1) from a small LCG. */
function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

interface Case {
  name: string;
  dims: { B: number; H: number; Hkv: number; T: number; S: number; dk: number; dv: number };
  /** The options for tfjs (given the mask tensors) and the matching reference settings. */
  options?: (masks: Masks) => AttentionOptions;
  ref?: Partial<RefAttentionInput>;
}

interface Masks {
  lengths: number[];
}

const padding = (lengths: number[]) => (b: number, _h: number, _i: number, j: number) =>
  j < lengths[b]!;

const CASES: Case[] = [
  { name: 'self-attention, no mask', dims: { B: 2, H: 2, Hkv: 2, T: 5, S: 5, dk: 4, dv: 3 } },
  { name: 'cross-attention S ≠ T', dims: { B: 2, H: 2, Hkv: 2, T: 3, S: 7, dk: 4, dv: 5 } },
  { name: 'a single query (T = 1)', dims: { B: 1, H: 3, Hkv: 3, T: 1, S: 6, dk: 4, dv: 4 } },
  {
    name: 'causal',
    dims: { B: 2, H: 2, Hkv: 2, T: 6, S: 6, dk: 4, dv: 3 },
    options: () => ({ causal: true }),
    ref: { causal: true },
  },
  {
    name: 'causal with cached prefix (T < S, default offset S - T)',
    dims: { B: 1, H: 2, Hkv: 2, T: 2, S: 7, dk: 4, dv: 3 },
    options: () => ({ causal: true }),
    ref: { causal: true },
  },
  {
    name: 'key padding [B, S] with a fully padded sequence',
    dims: { B: 3, H: 2, Hkv: 2, T: 4, S: 5, dk: 4, dv: 3 },
    options: () => ({
      mask: tf.tensor2d(
        [
          [1, 1, 1, 0, 0],
          [1, 1, 1, 1, 1],
          [0, 0, 0, 0, 0],
        ],
        [3, 5],
        'int32',
      ),
    }),
    ref: { allowed: padding([3, 5, 0]) },
  },
  {
    name: 'GQA (H = 4, Hkv = 2) with causal + padding',
    dims: { B: 2, H: 4, Hkv: 2, T: 5, S: 5, dk: 4, dv: 3 },
    options: () => ({ causal: true, mask: paddingMask([4, 2], 5) }),
    ref: { causal: true, allowed: padding([4, 2]) },
  },
  {
    name: 'MQA (Hkv = 1), cross-attention',
    dims: { B: 2, H: 3, Hkv: 1, T: 4, S: 6, dk: 4, dv: 2 },
  },
  {
    name: 'causal sliding window 3',
    dims: { B: 1, H: 2, Hkv: 1, T: 8, S: 8, dk: 4, dv: 3 },
    options: () => ({ causal: true, window: 3 }),
    ref: { causal: true, window: 3 },
  },
  {
    name: 'two-sided window 2 with a query offset',
    dims: { B: 1, H: 2, Hkv: 2, T: 4, S: 9, dk: 4, dv: 3 },
    options: () => ({ window: 2, queryOffset: 3 }),
    ref: { window: 2, queryOffset: 3 },
  },
  {
    name: 'additive float mask [1, H, T, S] with -Infinity and a fully masked row',
    dims: { B: 2, H: 2, Hkv: 2, T: 3, S: 4, dk: 4, dv: 3 },
    options: () => ({ mask: tf.tensor4d(additive(), [1, 2, 3, 4]) }),
    ref: { bias: (_b, h, i, j) => additive()[(h * 3 + i) * 4 + j]! },
  },
  {
    name: 'boolean [B, 1, T, S] mask combined with causal and custom scale',
    dims: { B: 2, H: 2, Hkv: 2, T: 4, S: 4, dk: 4, dv: 3 },
    options: () => ({
      causal: true,
      scale: 0.7,
      mask: tf.tensor4d(boolMask(), [2, 1, 4, 4], 'bool'),
    }),
    ref: {
      causal: true,
      scale: 0.7,
      allowed: (b, _h, i, j) => boolMask()[(b * 4 + i) * 4 + j] === 1,
    },
  },
  {
    name: 'ALiBi slopes with causal + key padding, cached prefix',
    dims: { B: 2, H: 2, Hkv: 1, T: 3, S: 5, dk: 4, dv: 3 },
    options: () => ({ causal: true, alibiSlopes: [0.5, 0.25], mask: paddingMask([5, 4], 5) }),
    ref: {
      causal: true,
      bias: (_b, h, i, j) => -[0.5, 0.25][h]! * Math.abs(2 + i - j),
      allowed: padding([5, 4]),
    },
  },
];

function additive(): number[] {
  // Row (h=1, i=2) is fully masked; others mix finite biases and -Infinity.
  const values = Array.from(random(2 * 3 * 4, 9), (x) => x * 2);
  values[2] = Number.NEGATIVE_INFINITY;
  values[5] = -1e9;
  for (let j = 0; j < 4; j++) values[(1 * 3 + 2) * 4 + j] = Number.NEGATIVE_INFINITY;
  return values;
}

function boolMask(): number[] {
  return Array.from(random(2 * 4 * 4, 11), (x) => (x > -0.3 ? 1 : 0));
}

function inputs(dims: Case['dims'], seed: number) {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const q = random(B * H * T * dk, seed);
  const k = random(B * Hkv * S * dk, seed + 1);
  const v = random(B * Hkv * S * dv, seed + 2);
  return {
    q,
    k,
    v,
    tensors: () =>
      [
        tf.tensor4d(q, [B, H, T, dk]),
        tf.tensor4d(k, [B, Hkv, S, dk]),
        tf.tensor4d(v, [B, Hkv, S, dv]),
      ] as const,
  };
}

/** The kernels: exact per-head and batched, and memory-efficient with several tiles. */
const VARIANTS: AttentionOptions[] = [
  { kernel: 'per-head' },
  { kernel: 'batched' },
  { memoryEfficient: { chunkSize: 2 } },
];

describeWithBackends('scaledDotProductAttention', () => {
  for (const c of CASES) {
    it(`matches the float64 reference: ${c.name} (every kernel)`, () => {
      const { q, k, v, tensors } = inputs(c.dims, 3);
      const ref = refAttention({ q, k, v, ...c.dims, ...c.ref });
      tf.tidy(() => {
        const options = c.options?.({ lengths: [] }) ?? {};
        for (const kernel of ['per-head', 'batched'] as const) {
          const { output, weights } = scaledDotProductAttention(...tensors(), {
            ...options,
            kernel,
            returnAttentionWeights: true,
          });
          const { B, H, T, S, dv } = c.dims;
          expect(output.shape).toEqual([B, H, T, dv]);
          expect(weights.shape).toEqual([B, H, T, S]);
          expectTensorsClose(output, ref.output, { atol: 1e-5 });
          expectTensorsClose(weights, ref.weights, { atol: 1e-6 });
        }
        for (const chunkSize of [1, 3]) {
          const chunked = scaledDotProductAttention(...tensors(), {
            ...options,
            memoryEfficient: { chunkSize },
          });
          expectTensorsClose(chunked, ref.output, { atol: 1e-5 });
        }
      });
    });
  }

  it('a fully masked query row gives zeros and finite gradients', () => {
    tf.tidy(() => {
      const [q, k, v] = inputs({ B: 1, H: 1, Hkv: 1, T: 2, S: 3, dk: 2, dv: 2 }, 5).tensors();
      const mask = tf.tensor4d([1, 1, 0, 0, 0, 0], [1, 1, 2, 3], 'bool');
      for (const variant of VARIANTS) {
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(scaledDotProductAttention(a, b, c, { mask, ...variant }));
        const out = scaledDotProductAttention(q, k, v, { mask, ...variant });
        expect(Array.from(out.dataSync().slice(2))).toEqual([0, 0]);
        for (const g of tf.grads(f)([q, k, v]))
          expect(g.dataSync().every(Number.isFinite)).toBe(true);
      }
    });
  });

  it('causal: true equals an explicit causalMask; masks combine by AND', () => {
    tf.tidy(() => {
      const [q, k, v] = inputs({ B: 2, H: 2, Hkv: 2, T: 4, S: 6, dk: 3, dv: 3 }, 7).tensors();
      const flag = scaledDotProductAttention(q, k, v, {
        causal: true,
        mask: paddingMask([6, 3], 6),
      });
      const explicit = scaledDotProductAttention(q, k, v, {
        mask: combineMasks(causalMask(4, 6), paddingMask([6, 3], 6)),
      });
      expectTensorsClose(flag, explicit, { atol: 0, rtol: 0 });
      const window = scaledDotProductAttention(q, k, v, { causal: true, window: 2 });
      const windowMask = scaledDotProductAttention(q, k, v, { mask: slidingWindowMask(4, 6, 2) });
      expectTensorsClose(window, windowMask, { atol: 0, rtol: 0 });
      const additiveMix = combineMasks(causalMask(4, 6), tf.zeros([1, 1, 4, 6]));
      expect(additiveMix.dtype).toBe('float32');
      expectTensorsClose(
        scaledDotProductAttention(q, k, v, { mask: additiveMix }),
        flag.shape[0] ? scaledDotProductAttention(q, k, v, { causal: true }) : flag,
        { atol: 1e-6 },
      );
    });
  });

  it('mask builders mark the right entries', () => {
    tf.tidy(() => {
      expect(Array.from(causalMask(2, 3).dataSync())).toEqual([1, 1, 0, 1, 1, 1]);
      expect(Array.from(causalMask(2, 3, { queryOffset: 0 }).dataSync())).toEqual([
        1, 0, 0, 1, 1, 0,
      ]);
      expect(Array.from(slidingWindowMask(3, 3, 2).dataSync())).toEqual([
        1, 0, 0, 1, 1, 0, 0, 1, 1,
      ]);
      expect(Array.from(slidingWindowMask(3, 3, 2, { causal: false }).dataSync())).toEqual([
        1, 1, 0, 1, 1, 1, 0, 1, 1,
      ]);
      expect(paddingMask([1, 2], 3).shape).toEqual([2, 1, 1, 3]);
      expect(Array.from(paddingMask(tf.tensor2d([[0, 1]])).dataSync())).toEqual([0, 1]);
    });
  });

  for (const variant of VARIANTS) {
    it(`gradients w.r.t. q, k, v match finite differences of the float64 reference (${JSON.stringify(variant)})`, () => {
      const dims = { B: 2, H: 2, Hkv: 1, T: 3, S: 5, dk: 3, dv: 2 };
      const { q, k, v, tensors } = inputs(dims, 13);
      const lengths = [5, 2];
      const upstream = random(dims.B * dims.H * dims.T * dims.dv, 17); // weights of the scalar loss
      const loss = (x: Float64Array) => {
        const [qn, kn, vn] = [
          x.subarray(0, q.length),
          x.subarray(q.length, q.length + k.length),
          x.subarray(q.length + k.length),
        ];
        const out = refAttention({
          q: qn,
          k: kn,
          v: vn,
          ...dims,
          causal: true,
          allowed: padding(lengths),
        }).output;
        return out.reduce((s, o, i) => s + o * upstream[i]!, 0);
      };
      const numeric = numericGradient(loss, Float64Array.from([...q, ...k, ...v]), 1e-5);
      tf.tidy(() => {
        const mask = paddingMask(lengths, dims.S);
        const w = tf.tensor4d(upstream, [dims.B, dims.H, dims.T, dims.dv]);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(scaledDotProductAttention(a, b, c, { causal: true, mask, ...variant }), w));
        const grads = tf.grads(f)([...tensors()]);
        const flat = grads.flatMap((g) => Array.from(g.dataSync()));
        expectTensorsClose(flat, numeric, { atol: 2e-4, rtol: 1e-3 });
      });
    });
  }

  for (const [label, base, chunkSize] of [
    [
      'GQA, window, padding, ragged chunks',
      () => ({ causal: true, window: 5, mask: paddingMask([11, 6], 11) }),
      4,
    ],
    [
      'ALiBi per tile',
      () => ({
        causal: true,
        alibiSlopes: [0.5, 0.25, 0.125, 0.0625],
        mask: paddingMask([11, 8], 11),
      }),
      3,
    ],
    [
      'chunks hidden by a causal window are skipped',
      () => ({ causal: true, window: 2, queryOffset: 4 }),
      2,
    ],
  ] as const) {
    it(`memory-efficient and batched gradients equal the per-head kernel's (${label})`, () => {
      const dims = { B: 2, H: 4, Hkv: 2, T: 7, S: 11, dk: 5, dv: 3 };
      const { tensors } = inputs(dims, 19);
      tf.tidy(() => {
        const w = tf.tensor4d(random(2 * 4 * 7 * 3, 23), [2, 4, 7, 3]);
        const grad = (options: AttentionOptions) =>
          tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.sum(tf.mul(scaledDotProductAttention(a, b, c, { ...base(), ...options }), w)),
          )([...tensors()]);
        const perHead = grad({ kernel: 'per-head' });
        for (const other of [
          grad({ kernel: 'batched' }),
          grad({ memoryEfficient: { chunkSize } }),
        ]) {
          for (const [i, g] of perHead.entries()) expectTensorsClose(other[i]!, g, { atol: 1e-5 });
        }
      });
    });
  }

  for (const kernel of ['per-head', 'batched'] as const) {
    it(`dropout is seeded, inverted, the same on both kernels, and its gradient matches finite differences (${kernel})`, () => {
      const dims = { B: 1, H: 2, Hkv: 2, T: 3, S: 4, dk: 3, dv: 2 };
      const { tensors } = inputs(dims, 29);
      tf.tidy(() => {
        const [q, k, v] = tensors();
        const opts = { dropout: 0.5, seed: 42, returnAttentionWeights: true, kernel } as const;
        const a = scaledDotProductAttention(q, k, v, opts);
        const b = scaledDotProductAttention(q, k, v, opts);
        const c = scaledDotProductAttention(q, k, v, { ...opts, seed: 43 });
        expectTensorsClose(a.output, b.output, { atol: 0, rtol: 0 });
        expect(a.output.arraySync()).not.toEqual(c.output.arraySync());
        const other = kernel === 'batched' ? 'per-head' : 'batched';
        expectTensorsClose(
          scaledDotProductAttention(q, k, v, { ...opts, kernel: other }).output,
          a.output,
          { atol: 1e-6 },
        );
        expectTensorsClose(
          a.weights,
          scaledDotProductAttention(q, k, v, { returnAttentionWeights: true }).weights,
        );
        // Finite differences of the seeded (so deterministic) function, in float32 with a larger step.
        const f = (x: tf.Tensor) =>
          tf.sum(tf.square(scaledDotProductAttention(x, k, v, { dropout: 0.5, seed: 42, kernel })));
        const analytic = tf.grad(f)(q).dataSync();
        const q0 = q.dataSync();
        const numeric = numericGradient(
          (x) =>
            f(
              tf.tensor4d(Float32Array.from(x), q.shape as [number, number, number, number]),
            ).dataSync()[0]!,
          Float64Array.from(q0),
          1e-2,
        );
        expectTensorsClose(analytic, numeric, { atol: 2e-3, rtol: 1e-2 });
      });
    });
  }

  it('memory-efficient dropout: seeded per tile, gradients w.r.t. q, k, v match finite differences', () => {
    const dims = { B: 1, H: 2, Hkv: 1, T: 3, S: 5, dk: 3, dv: 2 };
    const { tensors } = inputs(dims, 41);
    tf.tidy(() => {
      const [q, k, v] = tensors();
      const opts = { dropout: 0.4, seed: 7, causal: true, memoryEfficient: { chunkSize: 2 } };
      const a = scaledDotProductAttention(q, k, v, opts);
      expectTensorsClose(scaledDotProductAttention(q, k, v, opts), a, { atol: 0, rtol: 0 });
      expect(a.arraySync()).not.toEqual(
        scaledDotProductAttention(q, k, v, { ...opts, seed: 8 }).arraySync(),
      );
      expect(a.arraySync()).not.toEqual(
        scaledDotProductAttention(q, k, v, { ...opts, dropout: 0 }).arraySync(),
      );
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.square(scaledDotProductAttention(x, y, z, opts)));
      const analytic = tf
        .grads(f)([q, k, v])
        .flatMap((g) => Array.from(g.dataSync()));
      const sizes = [q.size, k.size, v.size];
      const flat = Float64Array.from([...q.dataSync(), ...k.dataSync(), ...v.dataSync()]);
      const numeric = numericGradient(
        (x) =>
          tf.tidy(() => {
            const [qa, ka] = [x.subarray(0, sizes[0]), x.subarray(sizes[0], sizes[0]! + sizes[1]!)];
            const va = x.subarray(sizes[0]! + sizes[1]!);
            const t = (arr: Float64Array, like: tf.Tensor) =>
              tf.tensor(Float32Array.from(arr), like.shape);
            return f(t(qa, q), t(ka, k), t(va, v)).dataSync()[0]!;
          }),
        flat,
        1e-2,
      );
      expectTensorsClose(analytic, numeric, { atol: 3e-3, rtol: 1e-2 });
    });
  });

  it('forward, weights and backward leave no tensors behind', async () => {
    const dims = { B: 2, H: 2, Hkv: 1, T: 3, S: 4, dk: 3, dv: 2 };
    const [q, k, v] = inputs(dims, 31).tensors();
    const mask = paddingMask([4, 1], 4);
    await assertNoLeaks(() => {
      scaledDotProductAttention(q, k, v, { mask, causal: true }).dispose();
      const { output, weights } = scaledDotProductAttention(q, k, v, {
        mask,
        returnAttentionWeights: true,
      });
      tf.dispose([output, weights]);
      // An enclosing tidy frees the weights that the caller did not return.
      tf.tidy(
        () => scaledDotProductAttention(q, k, v, { returnAttentionWeights: true }).output,
      ).dispose();
      scaledDotProductAttention(q, k, v, { mask, memoryEfficient: { chunkSize: 3 } }).dispose();
      for (const variant of VARIANTS) {
        const dropout = 0.1;
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(scaledDotProductAttention(a, b, c, { mask, causal: true, dropout, ...variant })),
        )([q, k, v]);
        tf.dispose(grads);
        if (variant.memoryEfficient) continue; // it cannot return weights
        const { output, weights } = scaledDotProductAttention(q, k, v, {
          mask,
          ...variant,
          returnAttentionWeights: true,
        });
        tf.dispose([output, weights]);
      }
    });
    tf.dispose([q, k, v, mask]);
  });

  it('bad shapes and arguments raise typed errors naming the argument and both shapes', () => {
    tf.tidy(() => {
      const [q, k, v] = inputs({ B: 2, H: 4, Hkv: 2, T: 3, S: 5, dk: 4, dv: 3 }, 37).tensors();
      expect(() => scaledDotProductAttention(tf.zeros([2, 3, 4]), k, v)).toThrow(
        AttentionShapeError,
      );
      expect(() => scaledDotProductAttention(tf.zeros([2, 3, 4]), k, v)).toThrow(
        /query: expected shape \[B, H, T, dk\], got \[2, 3, 4\]/,
      );
      expect(() => scaledDotProductAttention(q, tf.zeros([2, 2, 5, 6]), v)).toThrow(
        /key: .*dk = 4.*got \[2, 2, 5, 6\]/,
      );
      expect(() => scaledDotProductAttention(q, tf.zeros([2, 3, 5, 4]), v)).toThrow(
        /key: .*Hkv dividing H = 4/,
      );
      expect(() => scaledDotProductAttention(q, k, tf.zeros([2, 2, 6, 3]))).toThrow(
        /value: expected shape \[B, Hkv, S, dv\] = \[2, 2, 5, dv\], got \[2, 2, 6, 3\]/,
      );
      expect(() => scaledDotProductAttention(q, k, v, { mask: tf.ones([2, 4], 'bool') })).toThrow(
        /options.mask: .*\[2, 5\].*got \[2, 4\]/,
      );
      expect(() =>
        scaledDotProductAttention(q, k, v, { mask: tf.ones([2, 4, 3, 4], 'bool') }),
      ).toThrow(AttentionShapeError);
      expect(() => scaledDotProductAttention(q, k, v, { dropout: 1 })).toThrow(
        AttentionArgumentError,
      );
      expect(() => scaledDotProductAttention(q, k, v, { window: 0 })).toThrow(
        /options.window: expected a positive integer, got 0/,
      );
      expect(() =>
        scaledDotProductAttention(q, k, v, { memoryEfficient: true, returnAttentionWeights: true }),
      ).toThrow(AttentionArgumentError);
      expect(() =>
        scaledDotProductAttention(q, k, v, { memoryEfficient: { chunkSize: 0 } }),
      ).toThrow(/chunkSize/);
      expect(() => scaledDotProductAttention(q, k, v, { alibiSlopes: [0.5, 0.25] })).toThrow(
        /options.alibiSlopes: expected 4 finite numbers \(one per query head\), got \[0.5, 0.25\]/,
      );
      expect(() => scaledDotProductAttention(q, k, v, { kernel: 'fused' as 'batched' })).toThrow(
        /options.kernel: expected 'auto', 'per-head' or 'batched', got 'fused'/,
      );
      expect(() =>
        scaledDotProductAttention(q, k, v, { kernel: 'batched', memoryEfficient: true }),
      ).toThrow(/options.kernel: expected 'auto' with memoryEfficient, got 'batched'/);
      expect(() => scaledDotProductAttention(tf.zeros([2, 4, 3, 4], 'int32'), k, v)).toThrow(
        /query.dtype/,
      );
    });
  });
});
