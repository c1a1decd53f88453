import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@tformer/nn';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  expectTensorsClose,
  numericGradients,
  randomFloats,
  refAlibi,
  refDense,
  refDot,
  refGather,
  refPatchify,
  refRope,
  refSinusoidal,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  AlibiBias,
  alibiSlopes,
  checkTokenIds,
  LearnedPositionEmbedding,
  PatchEmbedding,
  PositionOverflowError,
  RotaryEmbedding,
  SinusoidalPositionalEncoding,
  TokenEmbedding,
  TokenIdError,
} from './index.js';
import { embeddingLookup, nanOutOfRange } from './token-embedding.js';

/** Transpose of a row-major [rows, cols] array. */
function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

describeWithBackends('TokenEmbedding', (backend) => {
  const V = 11;
  const D = 6;
  // Repeated ids on purpose: their gradient rows must add up.
  const cases: [number[], number[]][] = [
    [[1, 1], [4]],
    [
      [2, 5],
      [0, 3, 3, 10, 3, 0, 7, 7, 3, 1],
    ],
    [
      [1, 3],
      [5, 5, 5],
    ],
  ];

  it.each(cases)(
    'lookup %j matches gather in float64, value and gradient (repeated ids)',
    async (shape, ids) => {
      for (const scaleBySqrtDModel of [false, true]) {
        const emb = new TokenEmbedding({ vocabSize: V, dModel: D, scaleBySqrtDModel, rng: 3 });
        const idTensor = tf.tensor(ids, shape, 'int32');
        const scale = scaleBySqrtDModel ? Math.sqrt(D) : 1;
        await checkLayer({
          forward: () => emb.apply(idTensor),
          reference: ([table]) => refGather(table!, ids, D).map((v) => v * scale),
          inputs: [],
          variables: [emb.embeddings],
        });
        idTensor.dispose();
        emb.dispose();
      }
    },
  );

  it('the scatter gradient equals tfjs gather gradient where that exists (cpu)', async () => {
    if (backend !== 'cpu') return; // wasm has no UnsortedSegmentSum, the kernel gather's gradient needs
    const table = tf.tensor2d(Float32Array.from(randomFloats(V * D, 5)), [V, D]);
    const ids = tf.tensor2d([0, 3, 3, 10, 3, 0], [2, 3], 'int32');
    const r = tf.tensor(Float32Array.from(randomFloats(6 * D, 6)), [2, 3, D]);
    await assertNoLeaks(async () => {
      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t, ids), r)))(table);
      const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), r)))(table);
      await expectTensorsClose(ours, theirs.dataSync(), { atol: 1e-6, rtol: 1e-6 });
      tf.dispose([ours, theirs]);
    });
    tf.dispose([table, ids, r]);
  });

  it('the tied projection h·Eᵀ matches float64 in value and gradient', async () => {
    const emb = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 4 });
    for (const shape of [
      [1, 1, D],
      [2, 3, D],
      [4, D],
    ]) {
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      await checkLayer({
        forward: ([h]) => emb.project(h!),
        reference: ([h, e]) => refDense(h!, transpose(e!, V, D), undefined, rows, D, V),
        inputs: [{ values: randomFloats(rows * D, 7), shape }],
        variables: [emb.embeddings],
      });
    }
    const h = tf.zeros([2, D + 1]);
    expect(() => emb.project(h)).toThrow(
      `h: expected last dimension ${D} (the embedding width), got [2, ${D + 1}]`,
    );
    h.dispose();
    emb.dispose();
  });

  it('ids outside [0, vocabSize): TokenIdError on host backends, NaN rows on GPUs', async () => {
    const emb = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 1 });
    const onHost = ['cpu', 'wasm', 'tensorflow'].includes(tf.getBackend());
    await assertNoLeaks(async () => {
      for (const bad of [
        [0, V],
        [-1, 2],
        [3, 1000],
      ]) {
        const ids = tf.tensor2d([bad], [1, 2], 'int32');
        await expect(checkTokenIds(ids, V)).rejects.toThrow(TokenIdError);
        if (onHost) {
          expect(() => emb.apply(ids)).toThrow(TokenIdError);
        } else {
          // No synchronous read on a GPU: the bad row is NaN, the good one the table's row.
          const rows = await emb.apply(ids).array();
          const badAt = bad.findIndex((id) => id < 0 || id >= V);
          expect((rows as number[][][])[0]![badAt]!.every(Number.isNaN)).toBe(true);
          expect((rows as number[][][])[0]![1 - badAt]!.some(Number.isNaN)).toBe(false);
        }
        ids.dispose();
      }
      const ids = tf.tensor2d([[0, V]], [1, 2], 'int32');
      await expect(checkTokenIds(ids, V)).rejects.toThrow(
        `ids: expected token ids in [0, ${V}), got ids in [0, ${V}]`,
      );
      if (onHost) {
        expect(() => emb.apply(ids)).toThrow(
          `ids: expected token ids in [0, ${V}), got ids in [0, ${V}]`,
        );
      }
      const good = tf.tensor2d([[0, V - 1]], [1, 2], 'int32');
      await checkTokenIds(good, V);
      const empty = tf.zeros([0], 'int32');
      await checkTokenIds(empty, V);
      tf.dispose([ids, good, empty]);
      const floats = tf.tensor2d([[0, 1]]);
      expect(() => emb.apply(floats)).toThrow(ArgumentError);
      await expect(checkTokenIds(floats, V)).rejects.toThrow(ArgumentError);
      floats.dispose();
    });
    emb.dispose();
  });

  it('the on-device check turns only out-of-range rows into NaN, and keeps their gradient 0', async () => {
    const table = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    const ids = tf.tensor1d([2, 3, -1, 0], 'int32');
    const inRange = tf.tensor1d([2, 2, 0, 0], 'int32'); // the ids clamped into the table
    const rows = tf.tidy(() => nanOutOfRange(embeddingLookup(table, inRange), ids, 3));
    const values = (await rows.array()) as number[][];
    expect(values[0]).toEqual([5, 6]);
    expect(values[1]!.every(Number.isNaN)).toBe(true);
    expect(values[2]!.every(Number.isNaN)).toBe(true);
    expect(values[3]).toEqual([1, 2]);
    const { grads, value } = tf.variableGrads(
      () => tf.sum(nanOutOfRange(embeddingLookup(table, inRange), ids, 3)) as tf.Scalar,
    );
    expect(Number.isNaN((await value.data())[0])).toBe(true);
    await expectTensorsClose(grads[table.name]!, [
      [1, 1],
      [0, 0],
      [1, 1],
    ]);
    tf.dispose([table, ids, inRange, rows, value, grads]);
  });

  it('the same seed gives the same table; a different seed another', () => {
    const a = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 9 });
    const b = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 9 });
    const c = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 10 });
    expect(Array.from(a.embeddings.dataSync())).toEqual(Array.from(b.embeddings.dataSync()));
    expect(Array.from(a.embeddings.dataSync())).not.toEqual(Array.from(c.embeddings.dataSync()));
    for (const m of [a, b, c]) m.dispose();
  });
});

describeWithBackends('positions', () => {
  it('sinusoidal encoding matches the closed form in float64, with offsets and odd widths', async () => {
    for (const [dim, length, offset] of [
      [8, 1, 0],
      [16, 7, 0],
      [16, 5, 40],
      [7, 3, 2],
    ] as const) {
      const pe = new SinusoidalPositionalEncoding({ maxLength: 64, dModel: dim });
      await checkLayer({
        forward: ([x]) => pe.apply(x!, offset),
        reference: ([x]) => {
          const ref = refSinusoidal(length, dim, offset);
          return x!.map((v, i) => v + ref[i % (length * dim)]!);
        },
        inputs: [{ values: randomFloats(2 * length * dim, 3), shape: [2, length, dim] }],
        forwardTolerance: { atol: 1e-6, rtol: 0 },
      });
      const table = pe.encoding(length, offset);
      await expectTensorsClose(table, refSinusoidal(length, dim, offset), { atol: 1e-6, rtol: 0 });
      table.dispose();
    }
  });

  it('position overflow is a typed error for every position layer', () => {
    const x = tf.zeros([1, 5, 8]);
    const q = tf.zeros([1, 2, 5, 8]);
    const pe = new SinusoidalPositionalEncoding({ maxLength: 6, dModel: 8 });
    const learned = new LearnedPositionEmbedding({ maxLength: 6, dModel: 8, rng: 1 });
    const rope = new RotaryEmbedding({ headSize: 8, maxLength: 6 });
    expect(() => pe.apply(x, 2)).toThrow(PositionOverflowError);
    expect(() => pe.apply(x, 2)).toThrow(
      'SinusoidalPositionalEncoding: position 6 is out of range for maxLength 6 (positions are 0…5)',
    );
    expect(() => learned.apply(x, 2)).toThrow(PositionOverflowError);
    expect(() => rope.apply(q, 2)).toThrow(PositionOverflowError);
    expect(() => pe.encoding(1, -1)).toThrow(PositionOverflowError);
    const y = pe.apply(x, 1); // positions 1…5 fit
    tf.dispose([x, q, y]);
    learned.dispose();
  });

  it.each([[[1, 1, 4]], [[2, 5, 4]]])(
    'learned positions %j match float64 in value and gradient',
    async (shape) => {
      const [, t, d] = shape as [number, number, number];
      const learned = new LearnedPositionEmbedding({ maxLength: 9, dModel: d, rng: 2 });
      for (const offset of [0, 9 - t]) {
        await checkLayer({
          forward: ([x]) => learned.apply(x!, offset),
          reference: ([x, e]) => x!.map((v, i) => v + e![offset * d + (i % (t * d))]!),
          inputs: [
            {
              values: randomFloats(
                shape.reduce((a, b) => a * b, 1),
                4,
              ),
              shape,
            },
          ],
          variables: [learned.embeddings],
        });
      }
      learned.dispose();
    },
  );

  for (const style of ['half', 'interleaved'] as const) {
    it(`RoPE (${style}) matches the complex rotation in value and gradient, at offsets`, async () => {
      const rope = new RotaryEmbedding({ headSize: 8, maxLength: 32, style });
      for (const [shape, offset] of [
        [[1, 1, 1, 8], 0],
        [[2, 3, 5, 8], 0],
        [[1, 2, 4, 8], 17],
      ] as [[number, number, number, number], number][]) {
        await checkLayer({
          forward: ([x]) => rope.apply(x!, offset),
          reference: ([x]) => refRope(x!, shape, offset, style),
          inputs: [
            {
              values: randomFloats(
                shape.reduce((a, b) => a * b, 1),
                8,
              ),
              shape,
            },
          ],
          forwardTolerance: { atol: 1e-5, rtol: 1e-4 },
        });
      }
    });
  }

  for (const style of ['half', 'interleaved'] as const) {
    it(`RoPE (${style}) at per-row positions [B|1, T] matches the reference, and each row alone`, async () => {
      const rope = new RotaryEmbedding({ headSize: 8, maxLength: 32, style });
      const shape: [number, number, number, number] = [3, 2, 4, 8];
      const rows = [
        [0, 1, 2, 3],
        [5, 6, 7, 8],
        [0, 0, 1, 2], // left padding: the pad column repeats position 0
      ];
      const positions = tf.tensor2d(rows, [3, 4], 'int32');
      const values = randomFloats(3 * 2 * 4 * 8, 21);
      await checkLayer({
        forward: ([x]) => rope.apply(x!, positions),
        reference: ([x]) => refRope(x!, shape, (b, t) => rows[b]![t]!, style),
        inputs: [{ values, shape }],
        forwardTolerance: { atol: 1e-5, rtol: 1e-4 },
      });
      // [1, T] broadcasts over the batch and equals the scalar offset.
      const x = tf.tensor4d(Float32Array.from(values), shape);
      const shared = tf.tensor2d([[5, 6, 7, 8]], [1, 4], 'int32');
      await assertNoLeaks(async () => {
        const a = rope.apply(x, shared);
        const b = rope.apply(x, 5);
        await expectTensorsClose(a, b.dataSync(), { atol: 1e-5, rtol: 0 });
        tf.dispose([a, b]);
      });
      const bad = [tf.zeros([1, 4]), tf.zeros([2, 4], 'int32'), tf.zeros([3, 5], 'int32')];
      expect(() => rope.apply(x, bad[0]!)).toThrow(ArgumentError);
      expect(() => rope.apply(x, bad[0]!)).toThrow("positions.dtype: expected 'int32'");
      expect(() => rope.apply(x, bad[1]!)).toThrow(ShapeError);
      expect(() => rope.apply(x, bad[2]!)).toThrow('positions: expected shape [3 or 1, 4]');
      tf.dispose([positions, x, shared, ...bad]);
    });
  }

  it('RoPE at offset t on one row equals row t of the full sequence (cached decoding)', async () => {
    const rope = new RotaryEmbedding({ headSize: 4, maxLength: 16 });
    const x = tf.tensor4d(Float32Array.from(randomFloats(2 * 6 * 4, 12)), [1, 2, 6, 4]);
    await assertNoLeaks(async () => {
      const full = rope.apply(x);
      for (let t = 0; t < 6; t++) {
        const row = tf.slice(x, [0, 0, t, 0], [1, 2, 1, 4]);
        const one = rope.apply(row, t);
        const expected = tf.slice(full, [0, 0, t, 0], [1, 2, 1, 4]);
        await expectTensorsClose(one, expected.dataSync(), { atol: 1e-6, rtol: 0 });
        tf.dispose([row, one, expected]);
      }
      full.dispose();
    });
    const bad = tf.zeros([2, 6, 4]);
    expect(() => rope.apply(bad)).toThrow(ShapeError);
    expect(() => rope.apply(bad)).toThrow('x: expected shape [?, ?, ?, 4], got [2, 6, 4]');
    expect(() => new RotaryEmbedding({ headSize: 5, maxLength: 4 })).toThrow(
      'headSize: expected an even integer, got 5',
    );
    tf.dispose([x, bad]);
  });

  it("ALiBi slopes are the paper's, including non-powers of two", () => {
    expect(alibiSlopes(8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 ** -i));
    expect(alibiSlopes(4)).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8]);
    // 6 heads: the 4-head slopes, then every other slope of 8 heads (2^-1, 2^-3).
    expect(alibiSlopes(6)).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
    // 12 heads: the 8-head slopes, then slopes 1, 3, 5, 7 of 16 heads: 2^-0.5, 2^-1.5, …
    const twelve = alibiSlopes(12);
    expect(twelve.slice(0, 8)).toEqual(alibiSlopes(8));
    for (const [i, m] of twelve.slice(8).entries()) expect(m).toBeCloseTo(2 ** -(0.5 + i), 12);
    expect(alibiSlopes(1)).toEqual([2 ** -8]);
  });

  it('ALiBi bias [1, H, T, S] matches −m·|i − j| with query offsets', async () => {
    for (const [h, t, s, offset] of [
      [4, 3, 3, undefined],
      [6, 1, 7, undefined],
      [3, 2, 5, 1],
    ] as [number, number, number, number | undefined][]) {
      const alibi = new AlibiBias({ numHeads: h });
      await assertNoLeaks(async () => {
        const bias = alibi.bias(t, s, offset);
        expect(bias.shape).toEqual([1, h, t, s]);
        await expectTensorsClose(bias, refAlibi(alibiSlopes(h), t, s, offset ?? s - t), {
          atol: 1e-6,
        });
        bias.dispose();
      });
    }
  });
});

describeWithBackends('PatchEmbedding', (backend) => {
  it.each([
    [[1, 4, 4, 1], 2, 3],
    [[2, 6, 4, 3], 2, 5],
    [[1, 3, 3, 2], 3, 4],
  ] as [[number, number, number, number], number, number][])(
    'images %j, patch %i → d %i match float64 in value and gradient',
    async (shape, p, d) => {
      const pe = new PatchEmbedding({
        imageSize: [shape[1], shape[2]],
        patchSize: p,
        channels: shape[3],
        dModel: d,
        rng: 5,
      });
      pe.proj.bias!.assign(tf.tensor1d(Float32Array.from(randomFloats(d, 6))));
      const n = pe.numPatches;
      const images = randomFloats(
        shape.reduce((a, b) => a * b, 1),
        7,
      );
      await checkLayer({
        forward: ([x]) => pe.apply(x!),
        reference: ([x, w, b]) =>
          refDense(refPatchify(x!, shape, p), w!, b, shape[0] * n, p * p * shape[3], d),
        inputs: [{ values: images, shape }],
        variables: [pe.proj.kernel, pe.proj.bias!],
      });
      if (backend === 'cpu') {
        // Same as a Conv2D with kernel size and stride P whose kernel is proj.kernel as [P, P, C, d].
        const x = tf.tensor4d(Float32Array.from(images), shape);
        const out = pe.apply(x);
        const conv = tf.tidy(() =>
          tf.add(
            tf.conv2d(
              x,
              tf.reshape(pe.proj.kernel, [p, p, shape[3], d]) as tf.Tensor4D,
              p,
              'valid',
            ),
            pe.proj.bias!,
          ),
        );
        await expectTensorsClose(out, conv.dataSync(), { atol: 1e-5 });
        tf.dispose([x, out, conv]);
      }
      pe.dispose();
    },
  );

  it('bad image shapes and patch sizes raise typed errors', () => {
    const pe = new PatchEmbedding({ imageSize: 4, patchSize: 2, channels: 3, dModel: 8, rng: 1 });
    const x = tf.zeros([1, 4, 4, 1]);
    expect(() => pe.apply(x)).toThrow('images: expected shape [?, 4, 4, 3], got [1, 4, 4, 1]');
    expect(
      () => new PatchEmbedding({ imageSize: [4, 6], patchSize: 4, channels: 1, dModel: 2 }),
    ).toThrow('patchSize: expected a divisor of the image size 4×6, got 4');
    x.dispose();
    pe.dispose();
  });
});

describeWithBackends(
  'embedding gradient against finite differences through a small LM head',
  () => {
    it('d loss / d E through lookup and tied projection together', async () => {
      const V = 7;
      const D = 4;
      const ids = [3, 3, 0, 6, 3];
      const emb = new TokenEmbedding({ vocabSize: V, dModel: D, rng: 11 });
      const idTensor = tf.tensor2d(ids, [1, 5], 'int32');
      const r = randomFloats(5 * V, 12);
      const [numeric] = numericGradients(
        ([e]) =>
          refDot(refDense(refGather(e!, ids, D), transpose(e!, V, D), undefined, 5, D, V), r),
        [Float64Array.from(emb.embeddings.dataSync())],
      );
      await assertNoLeaks(async () => {
        const rt = tf.tensor(Float32Array.from(r), [1, 5, V]);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(emb.project(emb.apply(idTensor)), rt)) as tf.Scalar,
          [emb.embeddings],
        );
        await expectTensorsClose(grads[emb.embeddings.name]!, numeric!, { atol: 2e-3, rtol: 2e-3 });
        tf.dispose([rt, value, ...Object.values(grads)]);
      });
      idTensor.dispose();
      emb.dispose();
    });
  },
);
