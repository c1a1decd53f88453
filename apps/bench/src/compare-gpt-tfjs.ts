/**
 * gpt-tfjs's side of `compare.ts` (zemlyansky/gpt-tfjs, a minGPT port on tfjs-layers), one
 * backend per process, from a local checkout the user names: the project never vendors it.
 * Builds its `GPT` with the `baby` shape (4 layers, 4 heads, d 128, ctx 64, vocabulary 65, no
 * biases, dropout 0) and times a training step the way its own `train()` runs one: forward,
 * `softmaxCrossEntropy` on one-hot targets, `computeGradients`, `clipByGlobalNormObj(…, 1)` and
 * its `AdamW` (lr 1e-3, betas 0.9/0.99, weight decay on kernels), then reading the loss. Decoding
 * is its `generate` (no cache: the whole prefix each token) from `64 − tokens` ids to 64.
 * Kernels per step and per token come from `tf.profile`; the matmul rate brackets the run.
 * Writes one JSON object to `--out`.
 *
 * Its `require('@tensorflow/tfjs')` must reach the tfjs-core that tformer's backends register
 * on: `compare.ts` starts this process with NODE_PATH at the workspace's own `@tensorflow/tfjs`
 * (installed beside `@tensorflow/tfjs-node`); a checkout with its own node_modules uses those.
 *
 * Usage: tsx src/compare-gpt-tfjs.ts --path ../gpt-tfjs --backend node|wasm --out r.json
 *   [--steps 6] [--tokens 16]
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { matmulGflops } from './compare-matmul.js';
import { median } from './compare-report.js';
import { launchedKernels } from './kernel-count.js';

const { values: args } = parseArgs({
  options: {
    path: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    steps: { type: 'string', default: '6' },
    tokens: { type: 'string', default: '16' },
  },
});
if (!args.path || !args.out) throw new Error('compare-gpt-tfjs: --path and --out are required');
const steps = Number(args.steps);
const tokens = Number(args.tokens);
const [V, T, B] = [65, 64, 12];

// The slice of gpt-tfjs this bench calls (it ships no types).
interface LayersModel {
  apply(x: tf.Tensor): tf.Tensor;
  getNamedWeights(): { name: string }[];
  dispose(): void;
}
interface GptTfjs {
  model: {
    GPT(config: Record<string, unknown>): LayersModel;
    generate(
      model: LayersModel,
      idx: number[][],
      config: { maxNewTokens: number },
      callback?: () => void,
    ): Promise<number[][]>;
  };
  optimizers: {
    AdamW: new (
      p: Record<string, unknown>,
    ) => tf.Optimizer & {
      computeGradients(f: () => tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap };
    };
    clipByGlobalNormObj(grads: tf.NamedTensorMap, norm: number): tf.NamedTensorMap;
  };
}

await selectBackend(args.backend as BackendName);
const checkout = resolve(args.path);
const require = createRequire(join(checkout, 'index.js'));
const theirTf = require('@tensorflow/tfjs') as typeof tf;
if (theirTf.engine() !== tf.engine()) {
  throw new Error(
    `gpt-tfjs at ${checkout} loads a @tensorflow/tfjs with its own tfjs-core (not the one tformer's backends register on)`,
  );
}
const gpt = require(checkout) as GptTfjs;

const model = gpt.model.GPT({
  ...{ nLayer: 4, nHead: 4, nEmbd: 128, vocabSize: V, blockSize: T, bias: false },
  ...{ dropout: 0, embdDrop: 0, residDrop: 0 },
});
// Weight decay on what its train() decays: every weight but biases, norms and embeddings.
const decayed = model
  .getNamedWeights()
  .map((w) => w.name)
  .filter((n) => !/bias|normalization|emb/.test(n));
const optimizer = new gpt.optimizers.AdamW({
  ...{ learningRate: 1e-3, beta1: 0.9, beta2: 0.99, weightDecayRate: 0.01 },
  includeInWeightDecay: decayed,
});

function batch(seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const ids = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + seed * 31) % V);
  return tf.tidy(() => {
    const all = tf.tensor2d(ids, [B, T + 1], 'int32');
    const x = tf.slice(all, [0, 0], [B, T]);
    const y = tf.oneHot(tf.slice(all, [0, 1], [B, T]), V); // its loss takes one-hot targets
    return { x, y };
  });
}

async function step(seed: number): Promise<void> {
  const { x, y } = batch(seed);
  const loss = tf.tidy(() => {
    const { value, grads } = optimizer.computeGradients(() =>
      theirTf.losses.softmaxCrossEntropy(y, model.apply(x)),
    );
    optimizer.applyGradients(gpt.optimizers.clipByGlobalNormObj(grads, 1));
    return value;
  });
  await loss.data();
  tf.dispose([x, y, loss]);
}

const matmul = [await matmulGflops(tf)];
await step(0);
const stepKernels = launchedKernels(
  (
    await tf.profile(async () => {
      await step(1);
    })
  ).kernels,
).length;
const msPerStep: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  await step(i + 2);
  msPerStep.push(performance.now() - t0);
}

const prompt = Array.from({ length: T - tokens }, (_, i) => (i * 13) % V);
const stamps: number[] = [];
await gpt.model.generate(model, [prompt], { maxNewTokens: tokens }, () => {
  stamps.push(performance.now());
});
const tokenKernels = launchedKernels(
  (
    await tf.profile(async () => {
      await gpt.model.generate(model, [prompt], { maxNewTokens: 1 });
    })
  ).kernels,
).length;
matmul.push(await matmulGflops(tf));
model.dispose();
optimizer.dispose();

writeFileSync(
  args.out,
  `${JSON.stringify({
    backend: tf.getBackend(),
    matmulGflops: Math.max(...matmul),
    msPerStep,
    stepKernels,
    // Token i's time is the gap between the callbacks of tokens i−1 and i.
    msPerToken: median(stamps.slice(1).map((t, i) => t - stamps[i]!)),
    context: T,
    tokenKernels,
  })}\n`,
);
