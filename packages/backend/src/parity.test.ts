// One suite on every backend that starts here, compared with the cpu backend: matmul, softmax,
// layer norm, attention forward and backward, and a small MLP trained with SGD and Adam.
import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeOnEveryBackend,
  expectTensorsClose,
  type Tolerance,
} from '@tformer/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { selectBackend } from './index.js';

type Result = Record<string, number[]>;

/** Reproducible inputs in [-1, 1) without tfjs's RNG (which differs between backends). */
function seeded(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++)
    out[i] = (((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale;
  return out;
}

/** Runs `fn` in a tidy scope and reads the tensors it returns, disposing them. */
async function read(fn: () => Record<string, tf.Tensor>): Promise<Result> {
  const named = tf.tidy(fn);
  const out: Result = {};
  for (const [k, t] of Object.entries(named)) out[k] = Array.from(await t.data()); // data(): webgpu has no dataSync in Node
  tf.dispose(Object.values(named));
  return out;
}

/** Plain-tfjs attention over [B, H, T, D] with a causal mask, as in "Attention Is All You Need". */
function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const t = q.shape[2];
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[3]));
  const causal = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
  const masked = tf.add(scores, tf.mul(tf.sub(1, causal), -1e9));
  return tf.matMul(tf.softmax(masked), v) as tf.Tensor4D;
}

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** A 2-layer MLP (16 → 32 ReLU → 4) trained 4 steps with SGD, then 4 with a hand-written Adam. */
async function trainMlp(): Promise<Result> {
  const x = tf.tensor2d(seeded(32 * 16, 7), [32, 16]);
  // int32 one-hot then a cast: float32 oneHot returns bit patterns on wasm (docs/tfjs-facts.md)
  const labels = tf.tidy(() =>
    tf.cast(
      tf.oneHot(
        tf.tensor1d(
          [...Array(32).keys()].map((i) => (i * 7) % 4),
          'int32',
        ),
        4,
      ),
      'float32',
    ),
  );
  const init = [
    tf.tensor2d(seeded(16 * 32, 8, 0.3), [16, 32]),
    tf.zeros([32]),
    tf.tensor2d(seeded(32 * 4, 9, 0.3), [32, 4]),
    tf.zeros([4]),
  ];
  const params = init.map((t) => tf.variable(t));
  tf.dispose(init);
  const [w1, b1, w2, b2] = params as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const loss = () =>
    tf.losses.softmaxCrossEntropy(
      labels,
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2),
    ) as tf.Scalar;
  const losses: number[] = [];
  const m: tf.Tensor[] = params.map((p) => tf.zerosLike(p));
  const v: tf.Tensor[] = params.map((p) => tf.zerosLike(p));
  const [beta1, beta2, lr, eps] = [0.9, 0.999, 0.01, 1e-8];
  for (let step = 1; step <= 8; step++) {
    const { value, grads } = tf.variableGrads(loss, params);
    losses.push((await value.data())[0]!);
    tf.tidy(() => {
      params.forEach((p, i) => {
        const g = grads[p.name]!;
        if (step <= 4) {
          p.assign(tf.sub(p, tf.mul(g, 0.1)));
          return;
        }
        const t = step - 4;
        const mi = tf.add(tf.mul(m[i]!, beta1), tf.mul(g, 1 - beta1));
        const vi = tf.add(tf.mul(v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        tf.dispose([m[i]!, v[i]!]);
        m[i] = tf.keep(mi);
        v[i] = tf.keep(vi);
        const update = tf.div(
          tf.div(mi, 1 - beta1 ** t),
          tf.add(tf.sqrt(tf.div(vi, 1 - beta2 ** t)), eps),
        );
        p.assign(tf.sub(p, tf.mul(update, lr)));
      });
    });
    tf.dispose([value, ...Object.values(grads)]);
  }
  tf.dispose([x, labels, ...m, ...v]);
  const out = await read(() => ({
    w1: tf.clone(w1),
    b1: tf.clone(b1),
    w2: tf.clone(w2),
    b2: tf.clone(b2),
  }));
  tf.dispose(params);
  return { ...out, losses };
}

/** Each case with its tolerance against the cpu backend (float32 everywhere; sums reorder). */
const CASES: Record<string, { tol: Tolerance; run: () => Promise<Result> }> = {
  'matMul [64,48]×[48,32]': {
    tol: { atol: 1e-5, rtol: 1e-5 },
    run: () =>
      read(() => ({
        y: tf.matMul(
          tf.tensor2d(seeded(64 * 48, 1), [64, 48]),
          tf.tensor2d(seeded(48 * 32, 2), [48, 32]),
        ),
      })),
  },
  'softmax [8,50] of logits in ±8': {
    tol: { atol: 1e-6, rtol: 1e-5 },
    run: () => read(() => ({ y: tf.softmax(tf.tensor2d(seeded(8 * 50, 3, 8), [8, 50])) })),
  },
  'layer norm [16,64] with gain and bias': {
    tol: { atol: 1e-5, rtol: 1e-4 },
    run: () =>
      read(() => ({
        y: layerNorm(
          tf.tensor2d(seeded(16 * 64, 4, 3), [16, 64]),
          tf.tensor1d(seeded(64, 5)),
          tf.tensor1d(seeded(64, 6)),
        ),
      })),
  },
  'causal attention [2,2,8,16]: forward and gradients': {
    tol: { atol: 1e-5, rtol: 1e-4 },
    run: () =>
      read(() => {
        const shape = [2, 2, 8, 16] as [number, number, number, number];
        const [q, k, v, r] = [11, 12, 13, 14].map((s) =>
          tf.tensor4d(seeded(2 * 2 * 8 * 16, s), shape),
        ) as tf.Tensor4D[];
        const y = attention(q!, k!, v!);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(attention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D), r!));
        const [dq, dk, dv] = tf.grads(f)([q!, k!, v!]);
        return { y, dq: dq!, dk: dk!, dv: dv! };
      }),
  },
  'MLP training: 4 SGD + 4 Adam steps': { tol: { atol: 1e-5, rtol: 1e-3 }, run: trainMlp },
};

// The reference: every case on the cpu backend, computed once before the suites are declared.
await selectBackend('cpu');
const reference: Record<string, Result> = {};
for (const [name, c] of Object.entries(CASES)) reference[name] = await c.run();

describeOnEveryBackend('parity with cpu', (backend) => {
  beforeAll(() =>
    expect(tf.getBackend()).toBe(
      backend === 'node' || backend === 'node-gpu' ? 'tensorflow' : backend,
    ),
  );
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name} (atol ${c.tol.atol}, rtol ${c.tol.rtol})`, async () => {
      const got = await assertNoLeaks(c.run);
      const want = reference[name]!;
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const key of Object.keys(want)) {
        try {
          await expectTensorsClose(got[key]!, want[key]!, c.tol);
        } catch (error) {
          throw new Error(`${key}: ${(error as Error).message}`);
        }
      }
    });
  }
});

it('the reference itself learns: the MLP loss falls', () => {
  const losses = reference['MLP training: 4 SGD + 4 Adam steps']!.losses!;
  expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
});
