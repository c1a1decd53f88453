import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  type RefAttentionInput,
  refAttention,
  tidyAsync,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { causalMask, combineMasks, paddingMask, slidingWindowMask } from './masks.js';
import { scaledDotProductAttention, useBatchedKernel } from './scaled-dot-product-attention.js';
import {
  channelKernel,
  type Dims,
  inputs,
  padding,
  random,
  type TensorOptions,
  VARIANTS,
} from './testing/fixtures.js';

interface Case {
  name: string;
  dims: Dims;
  /** The options for tfjs (made once a backend runs) and the matching reference settings. */
  options?: () => TensorOptions;
  ref?: Partial<RefAttentionInput>;
}

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

describeWithBackends('scaledDotProductAttention', () => {
  for (const c of CASES) {
    it(`matches the float64 reference: ${c.name} (every kernel)`, async () => {
      const { q, k, v, tensors } = inputs(c.dims, 3);
      const ref = refAttention({ q, k, v, ...c.dims, ...c.ref });
      await tidyAsync(async () => {
        const options = c.options?.() ?? {};
        for (const kernel of ['per-head', 'batched'] as const) {
          const { output, weights } = scaledDotProductAttention(...tensors(), {
            ...options,
            kernel,
            returnAttentionWeights: true,
          });
          const { B, H, T, S, dv } = c.dims;
          expect(output.shape).toEqual([B, H, T, dv]);
          expect(weights.shape).toEqual([B, H, T, S]);
          await expectTensorsClose(output, ref.output, { atol: 1e-5 });
          await expectTensorsClose(weights, ref.weights, { atol: 1e-6 });
        }
        const channel = channelKernel(...tensors(), options, true);
        await expectTensorsClose(channel.output, ref.output, { atol: 1e-5 });
        await expectTensorsClose(channel.weights!, ref.weights, { atol: 1e-6 });
        for (const chunkSize of [1, 3]) {
          const chunked = scaledDotProductAttention(...tensors(), {
            ...options,
            memoryEfficient: { chunkSize },
          });
          await expectTensorsClose(chunked, ref.output, { atol: 1e-5 });
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

  it('a query row that causal / window masking hides entirely gives zeros, the others keep theirs', () => {
    tf.tidy(() => {
      // queryOffset −1: query 0 sits before every key (causal hides all); a window of 1 with
      // offset 4 puts query 0 past every key of S = 3. Both rows must be zeros, not uniform.
      const dims = { B: 1, H: 1, Hkv: 1, T: 2, S: 3, dk: 2, dv: 2 };
      const [q, k, v] = inputs(dims, 6).tensors();
      const cases = [
        { causal: true, queryOffset: -1, hidden: [0, 1] },
        { causal: true, window: 1, queryOffset: 3, hidden: [0, 1, 2, 3] },
      ];
      for (const { hidden, ...options } of cases) {
        for (const variant of VARIANTS) {
          const out = scaledDotProductAttention(q, k, v, { ...options, ...variant });
          const values = out.dataSync();
          expect(hidden.map((i) => values[i])).toEqual(hidden.map(() => 0));
        }
      }
    });
  });

  it('causal: true equals an explicit causalMask; masks combine by AND', async () => {
    await tidyAsync(async () => {
      const [q, k, v] = inputs({ B: 2, H: 2, Hkv: 2, T: 4, S: 6, dk: 3, dv: 3 }, 7).tensors();
      const flag = scaledDotProductAttention(q, k, v, {
        causal: true,
        mask: paddingMask([6, 3], 6),
      });
      const explicit = scaledDotProductAttention(q, k, v, {
        mask: combineMasks(causalMask(4, 6), paddingMask([6, 3], 6)),
      });
      await expectTensorsClose(flag, explicit, { atol: 0, rtol: 0 });
      const window = scaledDotProductAttention(q, k, v, { causal: true, window: 2 });
      const windowMask = scaledDotProductAttention(q, k, v, { mask: slidingWindowMask(4, 6, 2) });
      await expectTensorsClose(window, windowMask, { atol: 0, rtol: 0 });
      const additiveMix = combineMasks(causalMask(4, 6), tf.zeros([1, 1, 4, 6]));
      expect(additiveMix.dtype).toBe('float32');
      await expectTensorsClose(
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

  it('forward, weights and backward leave no tensors behind', async () => {
    const dims = { B: 2, H: 2, Hkv: 1, T: 3, S: 4, dk: 3, dv: 2 };
    const [q, k, v] = inputs(dims, 31).tensors();
    const mask = paddingMask([4, 1], 4);
    const big = inputs({ B: 1, H: 2, Hkv: 1, T: 16, S: 16, dk: 16, dv: 16 }, 37).tensors();
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
      // Heads big enough for wasm's channel products (T·S·(dk + dv) = 2¹³), GQA and dropout.
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(scaledDotProductAttention(a, b, c, { causal: true, dropout: 0.1 })),
      )([...big]);
      tf.dispose(grads);
      const { output: o, weights: w } = scaledDotProductAttention(...big, {
        causal: true,
        returnAttentionWeights: true,
      });
      tf.dispose([o, w]);
    });
    tf.dispose([q, k, v, mask, ...big]);
  });

  it('the batched kernel draws one dropout mask per call, not one per (batch, head)', async () => {
    // Kernels that dropout adds to a forward pass, at 1 and at 12 (batch, head) pairs: a draw per
    // head made this grow with B·H (4 kernels each) and dropout steps several times slower.
    const extra = async (B: number, H: number) => {
      const [q, k, v] = inputs({ B, H, Hkv: H, T: 4, S: 4, dk: 2, dv: 2 }, 41).tensors();
      const count = async (dropout: number) =>
        (
          await tf.profile(() =>
            tf.dispose(scaledDotProductAttention(q, k, v, { dropout, kernel: 'batched' })),
          )
        ).kernels.length;
      const added = (await count(0.5)) - (await count(0));
      tf.dispose([q, k, v]);
      return added;
    };
    const one = await extra(1, 1);
    expect(one).toBeGreaterThan(0);
    expect(await extra(3, 4)).toBe(one);
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
      for (const seed of [-1, 1.5, Number.NaN]) {
        expect(() => scaledDotProductAttention(q, k, v, { dropout: 0.1, seed })).toThrow(
          /options.seed: expected a non-negative safe integer/,
        );
      }
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

it("kernel 'auto': size rules on cpu and wasm, batched on native and GPU backends", () => {
  const dims = (T: number, d: number) => ({ B: 12, H: 4, Hkv: 4, T, S: T, dk: d, dv: d });
  expect(useBatchedKernel(dims(64, 32), 'cpu')).toBe(true); // 64·64·64 = 2¹⁸
  expect(useBatchedKernel(dims(65, 32), 'cpu')).toBe(false);
  expect(useBatchedKernel(dims(128, 32), 'cpu')).toBe(false);
  expect(useBatchedKernel(dims(256, 32), 'wasm')).toBe(true); // 256·256·64 = 2²²
  expect(useBatchedKernel(dims(257, 32), 'wasm')).toBe(false);
  for (const backend of ['tensorflow', 'webgpu', 'webgl']) {
    expect(useBatchedKernel(dims(128, 32), backend)).toBe(true);
    expect(useBatchedKernel(dims(1024, 64), backend)).toBe(true);
  }
});
