/**
 * nanoGPT's "baby" Shakespeare run, in tformer: the 4×4×128 ctx-64 character model of nanoGPT's
 * README for CPUs (`--n_layer=4 --n_head=4 --n_embd=128 --block_size=64 --batch_size=12
 * --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0 --eval_iters=20`, on top of
 * `config/train_shakespeare_char.py`: AdamW lr 1e-3, betas (0.9, 0.99), 100 warmup steps then
 * cosine to 1e-4, gradient clipping at 1.0). nanoGPT's README reports val loss 1.88 after 2,000
 * iterations. Besides nanoGPT's 20-batch estimates it reports the loss over the whole validation
 * split, which has no sampling noise.
 *
 * Two recipes, both nanoGPT's own (`--recipe`):
 * - `readme` (default): the code of nanoGPT commit 23a8e70 (2023-02-05), whose README reports the
 *   1.88: `train.py`'s weight decay was then 0.01 (`train_shakespeare_char.py` does not set it) on
 *   the linear layers' weights only (minGPT's whitelist: embeddings and LayerNorms are not decayed,
 *   as `@tformer/train`'s `defaultDecayFilter`), and the MLP used GPT-2's tanh GELU (`new_gelu`).
 * - `current`: nanoGPT's master since mid-2023: weight decay 0.1 on every parameter of rank ≥ 2
 *   (embeddings included) and the exact erf GELU (`nn.GELU()`).
 *
 * Usage: pnpm exec tsx apps/bench/src/shakespeare.ts [--backend node|wasm|cpu] [--iters 2000]
 *   [--recipe readme|current] [--seed 1337] [--eval-interval 250] [--eval-iters 20]
 *   [--final-eval-iters 200] [--data input.txt] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { createRng } from '@tformer/nn';
import {
  AdamW,
  clipByGlobalNorm,
  crossEntropy,
  defaultDecayFilter,
  WarmupCosineSchedule,
} from '@tformer/train';
import { CharLMBench, loadCharData } from './char-lm.js';

/** The shared data folder sits beside the repository: <repo>/../shared/data. */
const DATA = fileURLToPath(
  new URL('../../../../shared/data/tinyshakespeare/input.txt', import.meta.url),
);

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'node' },
    iters: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1337' },
    recipe: { type: 'string', default: 'readme' },
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
const seed = Number(args.seed);
const config = DECODER_LM_PRESETS.baby;
const blockSize = config.maxLength; // nanoGPT's block_size
const RECIPES = {
  readme: { weightDecay: 0.01, decayFilter: defaultDecayFilter, activation: 'gelu_tanh' },
  current: {
    weightDecay: 0.1,
    decayFilter: (_name: string, v: tf.Variable) => v.rank >= 2,
    activation: 'gelu',
  },
} as const;
if (args.recipe !== 'readme' && args.recipe !== 'current') {
  throw new Error(`--recipe: expected 'readme' or 'current', got '${args.recipe}'`);
}
const recipe = RECIPES[args.recipe];
const batchSize = 12;

// Character-level vocabulary as nanoGPT's data/shakespeare_char/prepare.py: sorted unique chars.
const charData = loadCharData(args.data);
const { chars } = charData;
if (chars.length !== config.vocabSize) {
  throw new Error(`expected ${config.vocabSize} distinct characters, found ${chars.length}`);
}
const splits = { train: charData.trainIds, val: charData.valIds };

const selection = await selectBackend(args.backend as BackendName);
console.log(
  `backend ${selection.name} (${tf.getBackend()}); ${splits.train.length + splits.val.length} chars, vocab ${chars.length}`,
);

const rng = createRng(seed);
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

const model = new DecoderLM({ ...config, activation: recipe.activation }, { rng: seed });
console.log(`parameters: ${(model.parameterCount() / 1e6).toFixed(2)}M`);
const optimizer = new AdamW(model.namedParameters(), {
  beta1: 0.9,
  beta2: 0.99,
  weightDecay: recipe.weightDecay,
  decayFilter: recipe.decayFilter,
});
const decayed = optimizer.decayedParameterNames();
const decayedOutsideBlocks = decayed.filter((n) => !n.startsWith('blocks.')).join(', ');
console.log(
  `recipe ${args.recipe}: ${recipe.activation}, weight decay ${recipe.weightDecay} on ` +
    `${decayed.length} parameters (${decayedOutsideBlocks || 'no embeddings'}); seed ${seed}`,
);
const schedule = new WarmupCosineSchedule({
  peakLearningRate: 1e-3,
  warmupSteps: Math.min(100, iters - 1),
  totalSteps: iters,
  minLearningRate: 1e-4,
});

async function estimateLoss(n: number): Promise<{ train: number; val: number }> {
  model.eval();
  const out = { train: 0, val: 0 };
  for (const which of ['train', 'val'] as const) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const { x, y } = batch(which);
      const loss = tf.tidy(() => crossEntropy(model.apply(x), y));
      tf.dispose([x, y]);
      sum += (await loss.data())[0]!;
      loss.dispose();
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
    const losses = await estimateLoss(evalIters);
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
const final = await estimateLoss(finalEvalIters);
// Mean cross-entropy over the whole validation split, read as consecutive windows of `blockSize`:
// no sampling noise, unlike the 20-batch estimate, so runs and implementations compare to the
// third decimal.
const fullVal = await new CharLMBench(charData, blockSize, Number.POSITIVE_INFINITY).valLoss(model);
const wallS = (performance.now() - start) / 1000;
const tokensPerS = (iters * batchSize * blockSize) / (trainMs / 1000);
const summary = {
  backend: selection.name,
  seed,
  recipe: args.recipe,
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
  fullVal,
  curve,
};
console.log(
  `done: val loss ${final.val.toFixed(4)} (train ${final.train.toFixed(4)}) over ${finalEvalIters} ` +
    `batches, ${fullVal.toFixed(4)} over the whole validation split; wall ${wallS.toFixed(0)} s, ${(trainMs / iters).toFixed(0)} ms/iter, ${tokensPerS.toFixed(0)} tokens/s`,
);
if (args.json) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);
