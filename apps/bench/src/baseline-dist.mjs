/**
 * Training steps of this checkout ÷ another checkout's, both from their built `dist`, in one
 * process: the `baby` config (gelu_tanh, AdamW + clipping at 1.0, dropout 0) built by each
 * checkout's own packages, steps alternated one by one so both see the same load; prints the median
 * ms of each, the median of per-pair ratios (< 1: this checkout is faster), kernels per step
 * (`tf.profile`) and the largest difference between the two losses over the steps (equal models,
 * equal batches: it shows both compute the same thing).
 *
 * Plain `node`, not `tsx`: under tsx this checkout's tsconfig `paths` also rewrite the other
 * checkout's `@tformer/*` imports to this checkout's sources (`perf --baseline` has that problem).
 *
 * Usage (both checkouts built): node apps/bench/src/baseline-dist.mjs --baseline ../main
 *   [--backend node|wasm|cpu] [--steps 10]
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '10' },
  },
});
if (!args.baseline) throw new Error('--baseline <checkout> is required');
const steps = Number(args.steps);
const here = fileURLToPath(new URL('../../../', import.meta.url));
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core');
const dist = (root, pkg) =>
  import(pathToFileURL(resolve(root, 'packages', pkg, 'dist/index.js')).href);
const { selectBackend } = await dist(here, 'backend');
await selectBackend(args.backend);

async function packages(root) {
  const model = await dist(root, 'model');
  return {
    DecoderLM: model.DecoderLM,
    presets: model.DECODER_LM_PRESETS,
    train: await dist(root, 'train'),
  };
}

const [B, T] = [12, 64];
function batch(seed) {
  const ids = (mul) => Int32Array.from({ length: B * T }, (_, i) => (i * mul + seed * 31) % 65);
  return {
    x: tf.tensor2d(ids(7919), [B, T], 'int32'),
    y: tf.tensor2d(ids(104729), [B, T], 'int32'),
  };
}

function trainer({ DecoderLM, presets, train }) {
  const model = new DecoderLM(
    { ...presets.baby, activation: 'gelu_tanh', dropout: 0 },
    { rng: 1337 },
  );
  model.train();
  const optimizer = new train.AdamW(model.namedParameters(), { beta1: 0.9, beta2: 0.99 });
  const params = model.trainableParameters();
  const step = async (seed) => {
    const { x, y } = batch(seed);
    const { value, grads: raw } = tf.variableGrads(
      () => train.crossEntropy(model.apply(x), y),
      params,
    );
    const grads = optimizer.packGradients?.(raw) ?? raw;
    if (grads !== raw) tf.dispose(raw);
    const clipped = train.clipByGlobalNorm(grads, 1.0);
    optimizer.step(clipped.grads, 1e-3);
    const loss = (await value.data())[0];
    tf.dispose([
      x,
      y,
      value,
      clipped.norm,
      ...Object.values(grads),
      ...Object.values(clipped.grads),
    ]);
    return loss;
  };
  return { model, optimizer, step };
}

const runs = {
  base: trainer(await packages(resolve(args.baseline))),
  now: trainer(await packages(here)),
};
const ms = { base: [], now: [] };
const losses = { base: [], now: [] };
const ratios = [];
for (let i = 0; i < steps + 2; i++) {
  const taken = {};
  for (const key of i % 2 ? ['now', 'base'] : ['base', 'now']) {
    const t0 = performance.now();
    losses[key].push(await runs[key].step(i));
    taken[key] = performance.now() - t0;
  }
  if (i < 2) continue; // warm-up
  ms.base.push(taken.base);
  ms.now.push(taken.now);
  ratios.push(taken.now / taken.base);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kernels = async (run) => (await tf.profile(() => run.step(steps + 2))).kernels.length;
const result = {
  backend: tf.getBackend(),
  date: new Date().toISOString(),
  load: loadavg()[0],
  baseline: args.baseline,
  pairs: ratios.length,
  msPerStep: { base: median(ms.base), now: median(ms.now) },
  ratio: median(ratios),
  kernelsPerStep: { base: await kernels(runs.base), now: await kernels(runs.now) },
  maxLossDifference: Math.max(...losses.base.map((l, i) => Math.abs(l - losses.now[i]))),
};
for (const run of Object.values(runs)) {
  run.model.dispose();
  run.optimizer.dispose();
}
console.log(JSON.stringify(result, null, 1));
