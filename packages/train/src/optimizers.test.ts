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
import { AdamW, defaultDecayFilter } from './adamw.js';
import { InvalidArgumentError } from './errors.js';

/** A kernel [3, 4] that decays and a bias [4] that does not, with float64 twins. */
function setup() {
  const kernel0 = randomFloats(12, 1);
  const bias0 = randomFloats(4, 2);
  const params: [string, tf.Variable][] = [
    ['layer.kernel', tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from(kernel0), [3, 4])))],
    ['layer.bias', tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(bias0))))],
  ];
  const ref = (p: Float64Array): RefAdamState => ({
    param: p.slice(),
    m: new Float64Array(p.length),
    v: new Float64Array(p.length),
  });
  return { params, refKernel: ref(kernel0), refBias: ref(bias0) };
}

function grads(
  params: [string, tf.Variable][],
  step: number,
): { map: tf.NamedTensorMap; raw: Float64Array[] } {
  const raw = params.map(([, v], i) => randomFloats(v.size, 100 * step + i));
  const map: tf.NamedTensorMap = {};
  params.forEach(([, v], i) => {
    map[v.name] = tf.tensor(Float32Array.from(raw[i]!), v.shape);
  });
  return { map, raw };
}

describeWithBackends('AdamW and Adam vs the float64 reference', () => {
  it('AdamW follows the reference for 5 steps, decaying the kernel but not the bias', async () => {
    const { params, refKernel, refBias } = setup();
    const options = { beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.1 };
    const optimizer = new AdamW(params, options);
    expect(optimizer.decayedParameterNames()).toEqual(['layer.kernel']);
    for (let t = 1; t <= 5; t++) {
      const lr = 0.01 * t;
      const { map, raw } = grads(params, t);
      await assertNoLeaks(() => optimizer.step(map, lr));
      tf.dispose(map);
      refAdamStep(refKernel, raw[0]!, t, { ...options, lr });
      refAdamStep(refBias, raw[1]!, t, { ...options, lr, weightDecay: 0 });
    }
    expect(optimizer.iterations).toBe(5);
    await expectTensorsClose(params[0]![1], refKernel.param, { atol: 1e-6 });
    await expectTensorsClose(params[1]![1], refBias.param, { atol: 1e-6 });
    await expectTensorsClose(optimizer.stateDict().get('v.layer.kernel')!, refKernel.v, {
      atol: 1e-7,
    });
    optimizer.dispose();
    tf.dispose(params.map(([, v]) => v));
  });

  it('Adam adds L2 decay to the gradient instead (coupled), and is not AdamW', async () => {
    const { params, refKernel } = setup();
    const optimizer = new Adam(params, { weightDecay: 0.1 });
    for (let t = 1; t <= 3; t++) {
      const { map, raw } = grads(params, t);
      optimizer.step(map, 0.05);
      tf.dispose(map);
      refAdamStep(refKernel, raw[0]!, t, { lr: 0.05, weightDecay: 0.1, decoupled: false });
    }
    await expectTensorsClose(params[0]![1], refKernel.param, { atol: 1e-6 });
    expect(optimizer.getConfig()).toMatchObject({
      name: 'Adam',
      weightDecay: 0.1,
      decoupledDecay: false,
    });
    optimizer.dispose();
    tf.dispose(params.map(([, v]) => v));
  });

  it('exports and imports its moments: a restored copy takes the same next step', async () => {
    const a = setup();
    const b = setup();
    const first = new AdamW(a.params);
    for (let t = 1; t <= 2; t++) {
      const { map } = grads(a.params, t);
      first.step(map, 0.01);
      tf.dispose(map);
    }
    // b starts from a's weights and a's moments, as after loading a checkpoint.
    b.params.forEach(([, v], i) => {
      v.assign(a.params[i]![1]);
    });
    const second = new AdamW(b.params);
    const saved = new Map([...first.stateDict()].map(([k, t]) => [k, tf.clone(t)]));
    second.loadStateDict(saved, first.iterations);
    tf.dispose([...saved.values()]);
    const g1 = grads(a.params, 3);
    const g2 = grads(b.params, 3);
    first.step(g1.map, 0.01);
    second.step(g2.map, 0.01);
    await expectTensorsClose(b.params[0]![1], a.params[0]![1].dataSync(), { atol: 0, rtol: 0 });
    tf.dispose([g1.map, g2.map]);
    expect(() => second.loadStateDict({}, 0)).toThrow(
      /state\['m.layer.kernel'\]: expected a tensor of shape \[3,4\], got missing/,
    );
    first.dispose();
    second.dispose();
    tf.dispose([...a.params, ...b.params].map(([, v]) => v));
  });

  it('keeps numTensors constant over many steps and frees its moments on dispose', async () => {
    const before = tf.memory().numTensors;
    const { params } = setup();
    const optimizer = new AdamW(params);
    expect(tf.memory().numTensors).toBe(before + 2 + 4);
    await assertNoLeaks(() => {
      for (let t = 1; t <= 20; t++) {
        const { map } = grads(params, t);
        optimizer.step(map, 1e-3);
        tf.dispose(map);
      }
    });
    optimizer.dispose();
    tf.dispose(params.map(([, v]) => v));
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('the default decay filter spares biases, norms and embeddings', () => {
  const matrix = tf.variable(tf.zeros([2, 2]));
  const vector = tf.variable(tf.zeros([2]));
  expect(defaultDecayFilter('blocks.0.attn.query.kernel', matrix)).toBe(true);
  expect(defaultDecayFilter('blocks.0.attn.query.bias', vector)).toBe(false);
  expect(defaultDecayFilter('blocks.0.ln1.gamma', vector)).toBe(false);
  expect(defaultDecayFilter('tokenEmbedding.table', matrix)).toBe(false);
  expect(defaultDecayFilter('blocks.0.norm.weight', matrix)).toBe(false);
  tf.dispose([matrix, vector]);
});

it('rejects bad hyper-parameters and gradients with typed errors', () => {
  const v = tf.variable(tf.zeros([2]));
  expect(() => new AdamW([['w', v]], { beta2: 1.5 })).toThrow(InvalidArgumentError);
  expect(() => new AdamW([['w', v]], { beta2: 1.5 })).toThrow(
    /options.beta2: expected a finite number ≥ 0 and ≤ 1, got 1.5/,
  );
  expect(() => new AdamW([['w', v]], { maxGroupElements: 0 })).toThrow(
    /options.maxGroupElements: expected a number ≥ 1 \(Infinity: no limit\), got 0/,
  );
  const optimizer = new AdamW([['w', v]]);
  expect(() => optimizer.step({ [v.name]: tf.zeros([3]) }, 1e-3)).toThrow(
    /\(w\): expected shape \[2\], got shape \[3\]/,
  );
  expect(() => optimizer.step({ nope: tf.zeros([2]) }, 1e-3)).toThrow(/grads\['nope'\]/);
  expect(() => optimizer.step({}, Number.NaN)).toThrow(/learningRate/);
  optimizer.dispose();
  v.dispose();
});
