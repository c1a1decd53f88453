/**
 * nanoGPT's "baby" Shakespeare run, in tformer: the 4×4×128 ctx-64 character model of nanoGPT's
 * README for CPUs (`--n_layer=4 --n_head=4 --n_embd=128 --block_size=64 --batch_size=12
 * --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0 --eval_iters=20`, on top of
 * `config/train_shakespeare_char.py`: AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on every
 * matrix, 100 warmup steps then cosine to 1e-4, gradient clipping at 1.0). nanoGPT reports val
 * loss ≈ 1.88 after 2,000 iterations.
 *
 * Usage: pnpm exec tsx apps/bench/src/shakespeare.ts [--backend node|wasm|cpu] [--iters 2000]
 *   [--eval-interval 250] [--eval-iters 20] [--final-eval-iters 200] [--json out.json]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { createRng } from '@tformer/nn';
import { AdamW, clipByGlobalNorm, crossEntropy, WarmupCosineSchedule } from '@tformer/train';

const DATA = '/work/shared/data/tinyshakespeare/input.txt';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'node' },
    iters: { type: 'string', default: '2000' },
    'eval-interval': { type: 'string', default: '250' },
    'eval-iters': { type: 'string', default: '20' },
    'final-eval-iters': { type: 'string', default: '200' },
    data: { type: 'string', default: DATA },
    json: { type: 'string' },
  },
});
const iters = Number(args.iters);
const evalInterval = Number(args['eval-interval']);
const evalIters = Number(args['eval-iters']);
const finalEvalIters = Number(args['final-eval-iters']);
const batchSize = 12;
const config = DECODER_LM_PRESETS.baby;
const blockSize = config.blockSize;

if (!existsSync(args.data)) {
  console.log(`SKIP: Tiny Shakespeare not found at ${args.data}; nothing to run.`);
  process.exit(0);
}

// Character-level vocabulary as nanoGPT's data/shakespeare_char/prepare.py: sorted unique chars.
const text = readFileSync(args.data, 'utf8');
const chars = [...new Set(text)].sort();
if (chars.length !== config.vocabSize) {
  throw new Error(`expected ${config.vocabSize} distinct characters, found ${chars.length}`);
}
const index = new Map(chars.map((c, i) => [c, i]));
const data = Int32Array.from(text, (c) => index.get(c)!);
const split = Math.floor(0.9 * data.length);
const splits = { train: data.subarray(0, split), val: data.subarray(split) };

const selection = await selectBackend(args.backend as BackendName);
console.log(
  `backend ${selection.name} (${tf.getBackend()}); ${data.length} chars, vocab ${chars.length}`,
);

const rng = createRng(1337);
/** nanoGPT's get_batch: random windows x = d[i:i+T], y = d[i+1:i+1+T]. */
function batch(which: 'train' | 'val'): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const d = splits[which];
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const i = Math.floor(rng.uniform(0, d.length - blockSize));
    x.set(d.subarray(i, i + blockSize), b * blockSize);
    y.set(d.subarray(i + 1, i + 1 + blockSize), b * blockSize);
  }
  return {
    x: tf.tensor2d(x, [batchSize, blockSize], 'int32'),
    y: tf.tensor2d(y, [batchSize, blockSize], 'int32'),
  };
}

const model = new DecoderLM(config, { rng: 1337 });
console.log(`parameters: ${(model.parameterCount() / 1e6).toFixed(2)}M`);
// nanoGPT decays every parameter of rank ≥ 2 (matrices and embeddings), nothing else.
const optimizer = new AdamW(model.namedParameters(), {
  beta1: 0.9,
  beta2: 0.99,
  weightDecay: 0.1,
  decayFilter: (_name, v) => v.rank >= 2,
});
const schedule = new WarmupCosineSchedule({
  peakLearningRate: 1e-3,
  warmupSteps: Math.min(100, iters - 1),
  totalSteps: iters,
  minLearningRate: 1e-4,
});

function estimateLoss(n: number): { train: number; val: number } {
  model.eval();
  const out = { train: 0, val: 0 };
  for (const which of ['train', 'val'] as const) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const { x, y } = batch(which);
      sum += tf.tidy(() => crossEntropy(model.apply(x), y).dataSync()[0]!);
      tf.dispose([x, y]);
    }
    out[which] = sum / n;
  }
  model.train();
  return out;
}

const curve: { iter: number; train: number; val: number; elapsedS: number }[] = [];
const params = model.trainableParameters();
const start = performance.now();
let trainMs = 0;
let lastLoss = Number.NaN;
for (let iter = 0; iter <= iters; iter++) {
  if (iter % evalInterval === 0 || iter === iters) {
    const losses = estimateLoss(evalIters);
    const elapsedS = (performance.now() - start) / 1000;
    curve.push({ iter, ...losses, elapsedS });
    console.log(
      `step ${iter}: train loss ${losses.train.toFixed(4)}, val loss ${losses.val.toFixed(4)} ` +
        `(${elapsedS.toFixed(0)} s, ${tf.memory().numTensors} tensors)`,
    );
  }
  if (iter === iters) break;
  const t0 = performance.now();
  const { x, y } = batch('train');
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x), y), params);
  const clipped = clipByGlobalNorm(grads, 1.0);
  optimizer.step(clipped.grads, schedule.learningRate(iter + 1));
  if (iter % 100 === 0) lastLoss = (await value.data())[0]!;
  tf.dispose([x, y, value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
  trainMs += performance.now() - t0;
  if (iter % 100 === 0) {
    console.log(
      `iter ${iter}: loss ${lastLoss.toFixed(4)}, ${(trainMs / (iter + 1)).toFixed(0)} ms/iter`,
    );
  }
}
const final = estimateLoss(finalEvalIters);
const wallS = (performance.now() - start) / 1000;
const tokensPerS = (iters * batchSize * blockSize) / (trainMs / 1000);
const summary = {
  backend: selection.name,
  iters,
  batchSize,
  blockSize,
  parameters: model.parameterCount(),
  wallS,
  trainS: trainMs / 1000,
  msPerIter: trainMs / iters,
  tokensPerS,
  finalEvalIters,
  final,
  curve,
};
console.log(
  `done: val loss ${final.val.toFixed(4)} (train ${final.train.toFixed(4)}) over ${finalEvalIters} ` +
    `batches; wall ${wallS.toFixed(0)} s, ${(trainMs / iters).toFixed(0)} ms/iter, ${tokensPerS.toFixed(0)} tokens/s`,
);
if (args.json) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);
