import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  type RefAdamState,
  randomFloats,
  refAdamStep,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { GradientAccumulator } from './gradient-accumulator.js';

/**
 * A model-like parameter set that forms several groups: three decayed matrices with 4 columns
 * and an embedding table with 4 columns that does not decay (stacked in one group), one matrix
 * with 6 columns, two biases, a rank-3 kernel and a scalar.
 */
const SHAPES: Array<[string, number[]]> = [
  ['tokenEmbedding.table', [5, 4]],
  ['blocks.0.query.kernel', [4, 4]],
  ['blocks.0.query.bias', [4]],
  ['blocks.0.fc.kernel', [4, 6]],
  ['blocks.0.fc.bias', [6]],
  ['blocks.0.proj.kernel', [6, 4]],
  ['blocks.1.query.kernel', [4, 4]],
  ['blocks.1.conv.kernel', [2, 3, 4]],
  ['head.scale', []],
];

function setup() {
  const params: [string, tf.Variable][] = SHAPES.map(([name, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return [
      name,
      tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(randomFloats(size, i + 1)), shape))),
    ];
  });
  return params;
}

function gradsOf(params: [string, tf.Variable][], step: number, scale = 1) {
  const raw = params.map(([, v], i) => randomFloats(v.size, 100 * step + i, scale));
  const map: tf.NamedTensorMap = {};
  params.forEach(([, v], i) => {
    map[v.name] = tf.tensor(Float32Array.from(raw[i]!), v.shape);
  });
  return { map, raw };
}

/**
 * Today's update written out per parameter in float32 tfjs (the bias corrections folded into the
 * step size and ε as AdamW folds them): the oracle for exact equality.
 */
function perParameterStep(
  params: [string, tf.Variable][],
  state: Map<string, { m: tf.Variable; v: tf.Variable }>,
  grads: tf.NamedTensorMap,
  t: number,
  lr: number,
  o: { beta1: number; beta2: number; epsilon: number; weightDecay: number; decays: Set<string> },
  decoupled = true,
): void {
  const sqrtBc2 = Math.sqrt(1 - o.beta2 ** t);
  const stepSize = (lr * sqrtBc2) / (1 - o.beta1 ** t);
  for (const [name, variable] of params) {
    if (!state.has(name)) {
      const zeros = () => tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      state.set(name, { m: zeros(), v: zeros() });
    }
  }
  tf.tidy(() => {
    for (const [name, variable] of params) {
      const raw = grads[variable.name];
      if (!raw) continue;
      const decays = o.decays.has(name);
      const s = state.get(name)!;
      const g = decays && !decoupled ? tf.add(raw, tf.mul(variable, o.weightDecay)) : raw;
      s.m.assign(tf.add(tf.mul(s.m, o.beta1), tf.mul(g, 1 - o.beta1)));
      s.v.assign(tf.add(tf.mul(s.v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)));
      const denom = tf.add(tf.sqrt(s.v), o.epsilon * sqrtBc2);
      const update = tf.mul(tf.div(s.m, denom), stepSize);
      const decayed = decays && decoupled ? tf.mul(variable, 1 - lr * o.weightDecay) : variable;
      variable.assign(tf.sub(decayed, update));
    }
  });
}

const OPTIONS = {
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
  weightDecay: 0.1,
  // Groups on every backend (wasm's default is one parameter per group).
  maxGroupElements: Number.POSITIVE_INFINITY,
};

describeWithBackends('AdamW over parameter groups', () => {
  it('equals the per-parameter update bit for bit and the float64 reference, packed and clipped', async () => {
    const cases = [
      // The plain table shares its group with the decayed [*, 4] matrices (a per-row decay).
      { decoupled: true, maxGroupElements: Number.POSITIVE_INFINITY, groups: 5 },
      { decoupled: false, maxGroupElements: Number.POSITIVE_INFINITY, groups: 5 },
      // At most 20 elements: the [*, 4] table and matrices (20, 16, 24, 16) fall into four groups.
      { decoupled: true, maxGroupElements: 20, groups: 8 },
    ];
    for (const { decoupled, maxGroupElements, groups } of cases) {
      const grouped = setup();
      const single = setup();
      const options = { ...OPTIONS, maxGroupElements };
      const optimizer = decoupled ? new AdamW(grouped, options) : new Adam(grouped, options);
      const decays = new Set(optimizer.decayedParameterNames());
      expect([...decays]).toEqual([
        'blocks.0.query.kernel',
        'blocks.0.fc.kernel',
        'blocks.0.proj.kernel',
        'blocks.1.query.kernel',
        'blocks.1.conv.kernel',
      ]);
      const state = new Map<string, { m: tf.Variable; v: tf.Variable }>();
      const refs: RefAdamState[] = grouped.map(([, v]) => {
        const p = Float64Array.from(v.dataSync());
        return { param: p, m: new Float64Array(p.length), v: new Float64Array(p.length) };
      });
      for (let t = 1; t <= 6; t++) {
        const lr = 0.01 / t; // a schedule: the rate changes every step
        const a = gradsOf(grouped, t);
        const b = gradsOf(single, t);
        // Odd steps go through packGradients + clipping, even ones take the plain map.
        let clippedRaw = a.raw;
        if (t % 2 === 1) {
          await assertNoLeaks(() => {
            const packed = optimizer.packGradients(a.map);
            expect(Object.keys(packed).length).toBe(groups);
            const clipped = clipByGlobalNorm(packed, 1);
            optimizer.step(clipped.grads, lr);
            tf.dispose([packed, clipped.grads, clipped.norm]);
          });
          const clippedB = clipByGlobalNorm(b.map, 1);
          perParameterStep(single, state, clippedB.grads, t, lr, { ...OPTIONS, decays }, decoupled);
          let squares = 0;
          for (const g of a.raw) for (const x of g) squares += Math.fround(x) ** 2;
          const factor = Math.min(1, 1 / (Math.sqrt(squares) + 1e-6));
          clippedRaw = a.raw.map((g) => g.map((x) => Math.fround(x) * factor));
          tf.dispose([clippedB.grads, clippedB.norm]);
        } else {
          await assertNoLeaks(() => optimizer.step(a.map, lr));
          perParameterStep(single, state, b.map, t, lr, { ...OPTIONS, decays }, decoupled);
        }
        grouped.forEach(([name], i) => {
          refAdamStep(refs[i]!, clippedRaw[i]!, t, {
            ...OPTIONS,
            lr,
            weightDecay: decays.has(name) ? OPTIONS.weightDecay : 0,
            decoupled,
          });
        });
        tf.dispose([a.map, b.map]);
      }
      // Clipped steps sum squares in another order, so the clip factor may differ by an ulp.
      for (const [i, [name, variable]] of grouped.entries()) {
        await expectTensorsClose(variable, single[i]![1].dataSync(), { atol: 1e-7, rtol: 0 });
        await expectTensorsClose(variable, refs[i]!.param, { atol: 1e-6 });
        await expectTensorsClose(optimizer.stateDict().get(`v.${name}`)!, refs[i]!.v, {
          atol: 1e-7,
        });
        expect(optimizer.stateDict().get(`m.${name}`)!.shape).toEqual(variable.shape);
      }
      optimizer.dispose();
      tf.dispose([...grouped, ...single].map(([, v]) => v));
      tf.dispose([...state.values()].flatMap((s) => [s.m, s.v]));
    }
  });

  it('reads parameters assigned between steps (a loaded state dict) instead of its kept stack', async () => {
    const grouped = setup();
    const single = setup();
    const optimizer = new AdamW(grouped, OPTIONS);
    const decays = new Set(optimizer.decayedParameterNames());
    const state = new Map<string, { m: tf.Variable; v: tf.Variable }>();
    for (let t = 1; t <= 3; t++) {
      if (t > 1) {
        // Outside the optimizer, as loadStateDict or user code would: the table and a kernel.
        for (const i of [0, 5]) {
          const values = Float32Array.from(randomFloats(grouped[i]![1].size, 50 + t));
          grouped[i]![1].assign(tf.tensor(values, grouped[i]![1].shape));
          single[i]![1].assign(tf.tensor(values, single[i]![1].shape));
        }
      }
      const a = gradsOf(grouped, t);
      const b = gradsOf(single, t);
      await assertNoLeaks(() => optimizer.step(a.map, 0.01));
      perParameterStep(single, state, b.map, t, 0.01, { ...OPTIONS, decays });
      tf.dispose([a.map, b.map]);
    }
    for (const [i, [, variable]] of grouped.entries())
      await expectTensorsClose(variable, single[i]![1].dataSync(), { atol: 1e-7, rtol: 0 });
    optimizer.dispose();
    tf.dispose([...grouped, ...single].map(([, v]) => v));
    tf.dispose([...state.values()].flatMap((s) => [s.m, s.v]));
  });

  it('packs nothing when every parameter is its own group (maxGroupElements 1)', async () => {
    const params = setup();
    const optimizer = new AdamW(params, { ...OPTIONS, maxGroupElements: 1 });
    const { map } = gradsOf(params, 1);
    const packed = optimizer.packGradients(map);
    // The scalar still needs one reshape to a row: packing happens, one key per parameter.
    expect(Object.keys(packed).length).toBe(params.length);
    tf.dispose(packed);
    const noScalar = new AdamW(params.slice(0, -1), { ...OPTIONS, maxGroupElements: 1 });
    const { [params.at(-1)![1].name]: scalarGrad, ...rest } = map;
    expect(noScalar.packGradients(rest)).toBe(rest);
    tf.dispose(map);
    optimizer.dispose();
    noScalar.dispose();
    tf.dispose(params.map(([, v]) => v));
  });

  it('leaves parameters without a gradient (and their moments) as they are', async () => {
    const params = setup();
    const optimizer = new AdamW(params, OPTIONS);
    const first = gradsOf(params, 1);
    optimizer.step(first.map, 0.01);
    const before = params.map(([, v]) => v.dataSync().slice());
    const moments = new Map([...optimizer.stateDict()].map(([k, t]) => [k, t.dataSync().slice()]));
    // Only the first query kernel: its group (three decayed [*, 4] matrices) is updated in part.
    const only = params[1]![1];
    const second = gradsOf(params, 2);
    const g = { [only.name]: second.map[only.name]! };
    const count = tf.memory().numTensors;
    const packed = optimizer.packGradients(g);
    expect(Object.keys(packed)).toEqual([only.name]);
    optimizer.step(packed, 0.01);
    tf.dispose(packed);
    // No leak; the step frees the 18 moments that stateDict() split out above.
    expect(tf.memory().numTensors).toBe(count - 2 * params.length);
    const ref: RefAdamState = {
      param: Float64Array.from(before[1]!),
      m: Float64Array.from(moments.get('m.blocks.0.query.kernel')!),
      v: Float64Array.from(moments.get('v.blocks.0.query.kernel')!),
    };
    refAdamStep(ref, second.raw[1]!, 2, { ...OPTIONS, lr: 0.01 });
    await expectTensorsClose(only, ref.param, { atol: 1e-6 });
    for (const [i, [name, variable]] of params.entries()) {
      if (i === 1) continue;
      await expectTensorsClose(variable, before[i]!, { atol: 0, rtol: 0 });
      await expectTensorsClose(optimizer.stateDict().get(`m.${name}`)!, moments.get(`m.${name}`)!, {
        atol: 0,
        rtol: 0,
      });
    }
    optimizer.dispose();
    tf.dispose([first.map, second.map]);
    tf.dispose(params.map(([, v]) => v));
  });

  it('loads moments saved per parameter (the checkpoint layout) and accumulates packed gradients', async () => {
    const a = setup();
    const b = setup();
    const first = new AdamW(a, OPTIONS);
    const accumulator = new GradientAccumulator();
    for (let t = 1; t <= 3; t++) {
      // Two micro-batches packed and accumulated, as the Trainer does with accumulationSteps 2.
      accumulator.reset();
      for (const micro of [0, 1]) {
        const { map } = gradsOf(a, 10 * t + micro);
        const packed = first.packGradients(map);
        accumulator.add(packed);
        tf.dispose([map, packed]);
      }
      const mean = accumulator.mean();
      first.step(mean, 0.01);
      tf.dispose(mean);
    }
    accumulator.dispose();
    // An old checkpoint: one tensor per moment and parameter, in its own shape, as float32 data.
    const saved: Record<string, tf.Tensor> = {};
    for (const [key, tensor] of first.stateDict())
      saved[key] = tf.tensor(tensor.dataSync(), tensor.shape);
    expect(Object.keys(saved).slice(0, 4)).toEqual([
      'm.tokenEmbedding.table',
      'v.tokenEmbedding.table',
      'm.blocks.0.query.kernel',
      'v.blocks.0.query.kernel',
    ]);
    b.forEach(([, v], i) => {
      v.assign(a[i]![1]);
    });
    const second = new AdamW(b, OPTIONS);
    second.loadStateDict(saved, first.iterations);
    tf.dispose(saved);
    const g1 = gradsOf(a, 7);
    const g2 = gradsOf(b, 7);
    first.step(g1.map, 0.01);
    second.step(g2.map, 0.01);
    for (const [i, [, variable]] of b.entries())
      await expectTensorsClose(variable, a[i]![1].dataSync(), { atol: 0, rtol: 0 });
    tf.dispose([g1.map, g2.map]);
    first.dispose();
    second.dispose();
    tf.dispose([...a, ...b].map(([, v]) => v));
  });
});
