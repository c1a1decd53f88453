import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  expectTensorsClose,
  randomFloats,
  refActivations,
  refDense,
  refLayerNorm,
  refRmsNorm,
  refSwiGlu,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  ArgumentError,
  activation,
  createRng,
  Dropout,
  FeedForward,
  gelu,
  geluTanh,
  LayerNorm,
  RMSNorm,
  relu,
  ShapeError,
  SwiGLU,
  silu,
} from './index.js';

const SHAPES: [number[]][] = [[[1, 1, 8]], [[2, 5, 8]], [[3, 8]]];
const rowsOf = (shape: number[]) => shape.slice(0, -1).reduce((a, b) => a * b, 1);

/** Non-trivial gamma/beta so the reference exercises them. */
function randomize(v: tf.Variable | undefined, seed: number, offset = 0): void {
  v?.assign(
    tf.tensor(
      Float32Array.from(randomFloats(v.size, seed), (x) => x + offset),
      v.shape,
    ),
  );
}

describeWithBackends('activations', () => {
  const fns = { relu, gelu, gelu_tanh: geluTanh, silu } as const;
  for (const [name, fn] of Object.entries(fns) as [
    keyof typeof fns,
    (x: tf.Tensor) => tf.Tensor,
  ][]) {
    it(`${name}: forward and gradient match float64`, async () => {
      // Keep relu's inputs away from the kink at 0, where finite differences are undefined.
      const values = randomFloats(2 * 3 * 7, 3, 3).map((v) =>
        name === 'relu' && Math.abs(v) < 0.05 ? 0.5 : v,
      );
      await checkLayer({
        forward: ([x]) => fn(x!),
        reference: ([x]) => x!.map(refActivations[name]),
        inputs: [{ values, shape: [2, 3, 7] }],
      });
      expect(activation(name)).toBe(fn);
    });
  }

  it('gelu_tanh is within 1e-6 of float64 in value and derivative from -12 to 12', async () => {
    // float32-exact inputs on a grid, both tails included: there 1 + tanh(z) cancels.
    const xs = Float64Array.from({ length: 481 }, (_, i) => Math.fround(-12 + i * 0.05));
    const k = Math.sqrt(2 / Math.PI);
    const c = 0.044715;
    const derivative = (x: number) => {
      const t = Math.tanh(k * (x + c * x ** 3));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x);
    };
    await assertNoLeaks(async () => {
      const x = tf.tensor1d(Float32Array.from(xs), 'float32');
      const y = geluTanh(x);
      const dx = tf.grad((v: tf.Tensor) => tf.sum(geluTanh(v)))(x);
      await expectTensorsClose(y, xs.map(refActivations.gelu_tanh), { atol: 1e-6, rtol: 1e-6 });
      await expectTensorsClose(dx, xs.map(derivative), { atol: 1e-6, rtol: 1e-6 });
      tf.dispose([x, y, dx]);
    });
  });

  it('unknown activation names raise ArgumentError', () => {
    expect(() => activation('tanh' as never)).toThrow(ArgumentError);
  });
});

describeWithBackends('LayerNorm and RMSNorm', () => {
  it.each(SHAPES)('LayerNorm on %j matches float64 in value and gradient', async (shape) => {
    const dim = shape.at(-1)!;
    const ln = new LayerNorm({ dModel: dim });
    randomize(ln.gamma, 5, 1);
    randomize(ln.beta, 6);
    await checkLayer({
      forward: ([x]) => ln.apply(x!),
      reference: ([x, g, b]) => refLayerNorm(x!, rowsOf(shape), dim, 1e-6, g, b),
      inputs: [{ values: randomFloats(rowsOf(shape) * dim, 7, 2), shape }],
      variables: [ln.gamma!, ln.beta!],
      forwardTolerance: { atol: 1e-4 },
    });
    ln.dispose();
  });

  it('LayerNorm with a gain and no bias (GPT-2 without biases) matches float64 in gradient', async () => {
    const ln = new LayerNorm({ dModel: 8, useBias: false });
    randomize(ln.gamma, 11, 1);
    await checkLayer({
      forward: ([x]) => ln.apply(x!),
      reference: ([x, g]) => refLayerNorm(x!, 6, 8, 1e-6, g),
      inputs: [{ values: randomFloats(48, 12, 2), shape: [2, 3, 8] }],
      variables: [ln.gamma!],
      forwardTolerance: { atol: 1e-4 },
    });
    ln.dispose();
  });

  it('LayerNorm without useScale/useBias has no parameters; eps is an option', async () => {
    const ln = new LayerNorm({ dModel: 4, useScale: false, useBias: false, eps: 1e-3 });
    expect(ln.parameterCount()).toBe(0);
    await checkLayer({
      forward: ([x]) => ln.apply(x!),
      reference: ([x]) => refLayerNorm(x!, 2, 4, 1e-3),
      inputs: [{ values: randomFloats(8, 9, 0.1), shape: [2, 4] }],
      forwardTolerance: { atol: 1e-4 },
    });
    expect(new LayerNorm({ dModel: 4 }).eps).toBe(1e-6);
  });

  it.each(SHAPES)('RMSNorm on %j matches float64 in value and gradient', async (shape) => {
    const dim = shape.at(-1)!;
    const norm = new RMSNorm({ dModel: dim });
    randomize(norm.gamma, 8, 1);
    await checkLayer({
      forward: ([x]) => norm.apply(x!),
      reference: ([x, g]) => refRmsNorm(x!, rowsOf(shape), dim, 1e-6, g),
      inputs: [{ values: randomFloats(rowsOf(shape) * dim, 10, 2), shape }],
      variables: [norm.gamma],
      forwardTolerance: { atol: 1e-4 },
    });
    norm.dispose();
  });

  it('wrong last dimension raises ShapeError naming x and both shapes', () => {
    const ln = new LayerNorm({ dModel: 8 });
    const x = tf.zeros([2, 4]);
    expect(() => ln.apply(x)).toThrow(ShapeError);
    expect(() => new RMSNorm({ dModel: 8 }).apply(x)).toThrow(
      'x: expected last dimension 8, got [2, 4]',
    );
    expect(() => new LayerNorm({ dModel: 8, eps: 0 })).toThrow('eps: expected a number > 0, got 0');
    x.dispose();
  });
});

describeWithBackends('Dropout', () => {
  it('is the identity in eval mode and at rate 0', async () => {
    const x = tf.tensor(Float32Array.from(randomFloats(24, 1)), [2, 3, 4]);
    await assertNoLeaks(async () => {
      const drop = new Dropout({ rate: 0.5, rng: 1 }).eval();
      const y = drop.apply(x);
      await expectTensorsClose(y, x.dataSync(), { atol: 0, rtol: 0 });
      const z = new Dropout({ rate: 0, rng: 1 }).apply(x);
      await expectTensorsClose(z, x.dataSync(), { atol: 0, rtol: 0 });
      tf.dispose([y, z]);
    });
    x.dispose();
  });

  it('applyOrPass hands x itself back when inactive and the same masks as apply when active', async () => {
    const x = tf.tensor(Float32Array.from(randomFloats(24, 4)), [2, 3, 4]);
    await assertNoLeaks(async () => {
      const idle = new Dropout({ rate: 0.5, rng: 1 }).eval();
      expect(idle.active).toBe(false);
      expect(idle.applyOrPass(x)).toBe(x);
      expect(new Dropout({ rate: 0, rng: 1 }).applyOrPass(x)).toBe(x);
      const [a, b] = [new Dropout({ rate: 0.5, rng: 3 }), new Dropout({ rate: 0.5, rng: 3 })];
      expect(a.active).toBe(true);
      const [ya, yb] = [a.apply(x), b.applyOrPass(x)];
      expect(yb).not.toBe(x);
      await expectTensorsClose(yb, await ya.data(), { atol: 0, rtol: 0 });
      tf.dispose([ya, yb]);
    });
    x.dispose();
  });

  it('zeroes about `rate` of the elements and scales the rest by 1/(1-rate)', () => {
    const x = tf.ones([100, 100]);
    const y = new Dropout({ rate: 0.3, rng: 2 }).apply(x);
    const v = y.dataSync();
    const zeros = v.filter((e) => e === 0).length;
    expect(zeros / v.length).toBeGreaterThan(0.28);
    expect(zeros / v.length).toBeLessThan(0.32);
    expect(v.every((e) => e === 0 || Math.abs(e - 1 / 0.7) < 1e-6)).toBe(true);
    tf.dispose([x, y]);
  });

  it('same seed → same masks (also across calls); different seed → different', () => {
    const x = tf.ones([64]);
    const masks = (seed: number) => {
      const d = new Dropout({ rate: 0.5, rng: createRng(seed) });
      return [0, 1].map(() => {
        const y = d.apply(x);
        const v = Array.from(y.dataSync());
        y.dispose();
        return v;
      });
    };
    const [a1, a2] = masks(7);
    const [b1, b2] = masks(7);
    const [c1] = masks(8);
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    expect(a1).not.toEqual(c1);
    x.dispose();
  });

  it('gradient is the mask', async () => {
    const x = tf.tensor(Float32Array.from(randomFloats(32, 3)), [4, 8]);
    await assertNoLeaks(async () => {
      const d1 = new Dropout({ rate: 0.25, rng: 9 });
      const d2 = new Dropout({ rate: 0.25, rng: 9 });
      const g = tf.grad((t: tf.Tensor) => tf.sum(d1.apply(t)))(x);
      const mask = tf.tidy(() => d2.apply(tf.onesLike(x)));
      await expectTensorsClose(g, mask.dataSync(), { atol: 0, rtol: 0 });
      tf.dispose([g, mask]);
    });
    x.dispose();
  });

  it('rejects rates outside [0, 1)', () => {
    expect(() => new Dropout({ rate: 1 })).toThrow('rate: expected a number in [0, 1), got 1');
    expect(() => new Dropout({ rate: -0.1 })).toThrow(ArgumentError);
  });
});

describeWithBackends('FeedForward and SwiGLU', () => {
  it.each(SHAPES)(
    'FeedForward (gelu) on %j matches float64 in value and gradient',
    async (shape) => {
      const d = shape.at(-1)!;
      const h = 12;
      const ffn = new FeedForward({ dModel: d, dFF: h, activation: 'gelu', rng: 3 });
      randomize(ffn.up.bias, 11);
      randomize(ffn.down.bias, 12);
      const rows = rowsOf(shape);
      await checkLayer({
        forward: ([x]) => ffn.apply(x!),
        reference: ([x, w1, b1, w2, b2]) =>
          refDense(refDense(x!, w1!, b1, rows, d, h).map(refActivations.gelu), w2!, b2, rows, h, d),
        inputs: [{ values: randomFloats(rows * d, 13), shape }],
        variables: [ffn.up.kernel, ffn.up.bias!, ffn.down.kernel, ffn.down.bias!],
      });
      expect(ffn.namedParameters().map(([n]) => n)).toEqual([
        'up.kernel',
        'up.bias',
        'down.kernel',
        'down.bias',
      ]);
      ffn.dispose();
    },
  );

  it.each(SHAPES)('SwiGLU on %j matches float64 in value and gradient', async (shape) => {
    const d = shape.at(-1)!;
    const h = 12;
    const ffn = new SwiGLU({ dModel: d, dFF: h, rng: 4 });
    const rows = rowsOf(shape);
    await checkLayer({
      forward: ([x]) => ffn.apply(x!),
      reference: ([x, wg, wu, wd]) => refSwiGlu(x!, wg!, wu!, wd!, rows, d, h),
      inputs: [{ values: randomFloats(rows * d, 14), shape }],
      variables: [ffn.gate.kernel, ffn.up.kernel, ffn.down.kernel],
    });
    expect(ffn.parameterCount()).toBe(3 * d * h);
    ffn.dispose();
  });

  it('FeedForward dropout follows train/eval', async () => {
    const ffn = new FeedForward({ dModel: 4, dFF: 8, dropout: 0.5, rng: 1 });
    const x = tf.ones([2, 4]);
    ffn.eval();
    const a = ffn.apply(x);
    const b = ffn.apply(x);
    await expectTensorsClose(a, b.dataSync(), { atol: 0, rtol: 0 });
    expect(ffn.dropout.training).toBe(false);
    tf.dispose([a, b, x]);
    ffn.dispose();
  });
});
