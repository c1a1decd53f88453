import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  numericGradients,
  randomFloats,
  refDense,
  refDot,
} from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  createRng,
  Dense,
  glorotUniform,
  linear,
  Module,
  ModuleError,
  ModuleList,
  normal,
  ShapeError,
  StateDictError,
  scaledResidualNormal,
} from './index.js';
import { computeFans } from './initializers.js';
import { matMul2d } from './linear.js';

class Block extends Module {
  readonly query = this.addModule('query', new Dense({ inputDim: 4, outputDim: 4, rng: 1 }));
  readonly scale = this.addParameter('scale', tf.ones([4]), { trainable: false });
}

class Net extends Module {
  readonly embed = this.addModule(
    'embed',
    new Dense({ inputDim: 3, outputDim: 4, useBias: false, rng: 2 }),
  );
  readonly blocks = this.addModule('blocks', new ModuleList([new Block(), new Block()]));
}

describe('Rng', () => {
  it('same seed gives the same stream, different seeds differ', () => {
    const a = createRng(7).uniformArray(100);
    const b = createRng(7).uniformArray(100);
    const c = createRng(8).uniformArray(100);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(createRng(2 ** 32 + 1).nextUint32()).not.toBe(createRng(1).nextUint32());
  });

  it('uniform and normal have the right moments; forks are reproducible and independent', () => {
    const rng = createRng(123);
    const u = rng.uniformArray(100_000, -1, 1);
    const z = rng.normalArray(100_000, 0, 2);
    const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
    expect(mean(u)).toBeCloseTo(0, 1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(Math.sqrt(mean(z.map((v) => v * v)))).toBeCloseTo(2, 1);
    const f1 = createRng(5).fork().uniformArray(10);
    const f2 = createRng(5).fork().uniformArray(10);
    expect(Array.from(f1)).toEqual(Array.from(f2));
    const root = createRng(5);
    expect(Array.from(root.fork().uniformArray(10))).not.toEqual(
      Array.from(root.fork().uniformArray(10)),
    );
  });

  it('rejects bad seeds with ArgumentError', () => {
    expect(() => createRng(-1)).toThrow(ArgumentError);
    expect(() => createRng(1.5)).toThrow(/seed: expected a non-negative safe integer, got 1.5/);
    expect(typeof createRng().seed).toBe('number');
  });
});

describeWithBackends('initializers', () => {
  it('computes fans as Keras', () => {
    expect(computeFans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(computeFans([2, 2, 3, 5])).toEqual({ fanIn: 12, fanOut: 20 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
  });

  it('glorotUniform stays within ±√(6/(in+out)) and fills it', async () => {
    await assertNoLeaks(() => {
      const t = glorotUniform()([64, 32], createRng(1));
      const v = t.dataSync();
      const limit = Math.sqrt(6 / 96);
      expect(Math.max(...v)).toBeLessThanOrEqual(limit);
      expect(Math.max(...v)).toBeGreaterThan(0.95 * limit);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-limit);
      t.dispose();
    });
  });

  it('normal(0.02) and scaled residual have the right std', () => {
    const std = (t: tf.Tensor) => {
      const v = Array.from(t.dataSync());
      const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
      t.dispose();
      return s;
    };
    expect(std(normal()([200, 200], createRng(1)))).toBeCloseTo(0.02, 3);
    expect(std(scaledResidualNormal(8)([200, 200], createRng(1)))).toBeCloseTo(0.02 / 4, 3);
    expect(() => scaledResidualNormal(0)).toThrow(ArgumentError);
  });
});

describeWithBackends('Module', () => {
  it('names parameters with stable dotted paths: own parameters, then children in order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'embed.kernel',
      'blocks.0.scale',
      'blocks.0.query.kernel',
      'blocks.0.query.bias',
      'blocks.1.scale',
      'blocks.1.query.kernel',
      'blocks.1.query.bias',
    ]);
    expect(net.parameterCount()).toBe(12 + 2 * (16 + 4 + 4));
    expect(net.parameterCount({ trainableOnly: true })).toBe(12 + 2 * (16 + 4));
    expect(net.trainableParameters()).toHaveLength(5);
    expect(net.namedModules().map(([n]) => n)).toEqual([
      '',
      'embed',
      'blocks',
      'blocks.0',
      'blocks.0.query',
      'blocks.1',
      'blocks.1.query',
    ]);
    expect(net.blocks.at(-1)).toBe(net.blocks.at(1));
    net.dispose();
  });

  it('train/eval propagate to children; setTrainable freezes a subtree', () => {
    const net = new Net();
    expect(net.blocks.at(0).query.training).toBe(true);
    net.eval();
    expect(net.blocks.at(0).query.training).toBe(false);
    net.train();
    expect(net.blocks.at(1).training).toBe(true);
    net.blocks.setTrainable(false);
    expect(net.parameterCount({ trainableOnly: true })).toBe(12);
    net.dispose();
  });

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string, twice: boolean) {
        super();
        this.addParameter(name, tf.zeros([1]));
        if (twice) this.addParameter(name, tf.zeros([1]));
      }
    }
    expect(() => new Bad('a', true)).toThrow(ModuleError);
    expect(() => new Bad('a.b', false)).toThrow(/invalid name 'a.b'/);
  });

  it('stateDict round-trips through loadStateDict, and dispose frees every parameter', async () => {
    await assertNoLeaks(async () => {
      const a = new Net();
      const b = new Net();
      const x = tf.tensor2d(Float32Array.from(randomFloats(6, 3)), [2, 3], 'float32');
      const snapshot = Object.fromEntries(
        Object.entries(a.stateDict()).map(([k, v]) => [k, tf.clone(v)]),
      );
      b.loadStateDict(snapshot);
      const ya = a.embed.apply(x);
      const yb = b.embed.apply(x);
      await expectTensorsClose(yb, ya.dataSync(), { atol: 0, rtol: 0 });
      for (const [name, v] of Object.entries(a.stateDict())) {
        await expectTensorsClose(b.stateDict()[name]!, v.dataSync(), { atol: 0, rtol: 0 });
      }
      tf.dispose([...Object.values(snapshot), x, ya, yb]);
      a.dispose();
      b.dispose();
      a.dispose(); // idempotent
      expect(a.isDisposed).toBe(true);
      expect(() => a.loadStateDict({})).toThrow(ModuleError);
    });
  });

  it('loadStateDict names the parameter and both shapes on a mismatch, and assigns nothing', () => {
    const net = new Net();
    const good = net.stateDict();
    const wrong = tf.zeros([4, 3]);
    const bad = { ...good, 'blocks.1.query.kernel': wrong };
    const kernelBefore = net.embed.kernel.dataSync().slice();
    let error: unknown;
    try {
      net.loadStateDict({ ...bad, 'embed.kernel': tf.zerosLike(net.embed.kernel) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toBe(
      "parameter 'blocks.1.query.kernel': shape mismatch, model has [4, 4], state dict has [4, 3]",
    );
    expect(Array.from(net.embed.kernel.dataSync())).toEqual(Array.from(kernelBefore));
    const { 'blocks.0.scale': _, ...missing } = good;
    expect(() => net.loadStateDict(missing)).toThrow(/missing parameter\(s\): blocks.0.scale/);
    expect(() => net.loadStateDict({ ...good, extra: wrong })).toThrow(
      /unexpected key\(s\): extra/,
    );
    const asInt = tf.zeros([4], 'int32');
    expect(() => net.loadStateDict({ ...good, 'blocks.0.scale': asInt })).toThrow(
      /'blocks.0.scale': dtype mismatch, model has float32, state dict has int32/,
    );
    net.loadStateDict(missing, { strict: false });
    tf.dispose([wrong, asInt]);
    net.dispose();
  });

  it('registering an existing variable shares (ties) it and lists it once', () => {
    class Tied extends Module {
      readonly a = this.addModule('a', new Dense({ inputDim: 2, outputDim: 2, rng: 1 }));
      readonly w = this.addParameter('w', this.a.kernel);
    }
    const t = new Tied();
    // Own parameters are walked before children: the tied kernel is listed once, as 'w'.
    expect(t.namedParameters().map(([n]) => n)).toEqual(['w', 'a.bias']);
    expect(t.parameters()).toHaveLength(2);
    t.dispose();
  });
});

describeWithBackends('Dense and linear', () => {
  const shapes: [number[], number, number][] = [
    [[5, 3], 3, 4],
    [[2, 1, 6], 6, 3],
    [[2, 4, 6], 6, 5],
    [[1, 2, 3, 4], 4, 2],
  ];

  it.each(shapes)(
    'forward on %j (%i → %i) matches the float64 reference',
    async (xShape, inDim, outDim) => {
      const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const x = randomFloats(rows * inDim, 11);
      for (const useBias of [true, false]) {
        const dense = new Dense({ inputDim: inDim, outputDim: outDim, useBias, rng: 3 });
        dense.bias?.assign(tf.tensor1d(Float32Array.from(randomFloats(outDim, 4)), 'float32'));
        const w = dense.kernel.dataSync();
        const b = dense.bias?.dataSync();
        await assertNoLeaks(async () => {
          const xt = tf.tensor(Float32Array.from(x), xShape, 'float32');
          const y = dense.apply(xt);
          expect(y.shape).toEqual([...xShape.slice(0, -1), outDim]);
          await expectTensorsClose(y, refDense(x, w, b, rows, inDim, outDim));
          tf.dispose([xt, y]);
        });
        dense.dispose();
      }
    },
  );

  it.each(shapes)(
    'gradients on %j (%i → %i) match central finite differences',
    async (xShape, inDim, outDim) => {
      const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const x = randomFloats(rows * inDim, 21);
      const r = randomFloats(rows * outDim, 22);
      const dense = new Dense({ inputDim: inDim, outputDim: outDim, rng: 5 });
      dense.bias!.assign(tf.tensor1d(Float32Array.from(randomFloats(outDim, 23)), 'float32'));
      const w = Float64Array.from(dense.kernel.dataSync());
      const b = Float64Array.from(dense.bias!.dataSync());
      const [gx, gw, gb] = numericGradients(
        ([xi, wi, bi]) => refDot(refDense(xi!, wi!, bi!, rows, inDim, outDim), r),
        [Float64Array.from(x), w, b],
      );
      await assertNoLeaks(async () => {
        const xt = tf.tensor(Float32Array.from(x), xShape, 'float32');
        const rt = tf.tensor(Float32Array.from(r), [...xShape.slice(0, -1), outDim], 'float32');
        const loss = (input: tf.Tensor) => tf.sum(tf.mul(dense.apply(input), rt)) as tf.Scalar;
        const { grads, value } = tf.variableGrads(() => loss(xt), [dense.kernel, dense.bias!]);
        const dx = tf.grad(loss)(xt);
        await expectTensorsClose(dx, gx!, { atol: 1e-3, rtol: 1e-3 });
        await expectTensorsClose(grads[dense.kernel.name]!, gw!, { atol: 1e-3, rtol: 1e-3 });
        await expectTensorsClose(grads[dense.bias!.name]!, gb!, { atol: 1e-3, rtol: 1e-3 });
        tf.dispose([xt, rt, dx, value, ...Object.values(grads)]);
      });
      dense.dispose();
    },
  );

  // [6, 4]·[4, 3] takes dB = Aᵀ·dY; [8, 6]·[6, 2] takes dB = (dYᵀ·A)ᵀ (fewer elements to transpose).
  it.each([
    [6, 4, 3],
    [8, 6, 2],
  ])('matMul2d [%i, %i]·[%i, …] equals tf.matMul in value and gradient', async (m, k, n) => {
    const a = tf.tensor2d(Float32Array.from(randomFloats(m * k, 31)), [m, k], 'float32');
    const b = tf.tensor2d(Float32Array.from(randomFloats(k * n, 32)), [k, n], 'float32');
    await assertNoLeaks(async () => {
      const f = (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.square(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D)));
      const g = (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)));
      const [da, db] = tf.grads(f)([a, b]);
      const [ea, eb] = tf.grads(g)([a, b]);
      const p = matMul2d(a, b);
      const q = tf.matMul(a, b);
      await expectTensorsClose(p, q.dataSync());
      await expectTensorsClose(da!, ea!.dataSync());
      await expectTensorsClose(db!, eb!.dataSync());
      tf.dispose([da!, db!, ea!, eb!, p, q]);
    });
    tf.dispose([a, b]);
  });

  it('bad shapes raise ShapeError naming the argument and both shapes', () => {
    const dense = new Dense({ inputDim: 4, outputDim: 2, rng: 1 });
    const x = tf.zeros([2, 3]);
    expect(() => dense.apply(x)).toThrow(ShapeError);
    expect(() => dense.apply(x)).toThrow(
      'x: expected last dimension 4 to match kernel [4, 2], got [2, 3]',
    );
    const k = tf.zeros([3, 2]);
    expect(() => linear(x, k, tf.zeros([3]))).toThrow(
      'bias: expected shape [2], got [3] (kernel is [3, 2])',
    );
    expect(() => matMul2d(x as tf.Tensor2D, x as tf.Tensor2D)).toThrow(/a vs b/);
    expect(() => new Dense({ inputDim: 0, outputDim: 2 })).toThrow(
      'inputDim: expected an integer ≥ 1, got 0',
    );
    tf.dispose([x, k]);
    dense.dispose();
  });

  it('same seed → identical initial parameters; different seed → different', () => {
    const a = new Dense({ inputDim: 8, outputDim: 8, rng: 42 });
    const b = new Dense({ inputDim: 8, outputDim: 8, rng: createRng(42) });
    const c = new Dense({ inputDim: 8, outputDim: 8, rng: 43 });
    expect(Array.from(a.kernel.dataSync())).toEqual(Array.from(b.kernel.dataSync()));
    expect(Array.from(a.kernel.dataSync())).not.toEqual(Array.from(c.kernel.dataSync()));
    for (const d of [a, b, c]) d.dispose();
  });
});
