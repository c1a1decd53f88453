/**
 * Kernel counts and speed of nanoGPT's `baby` config (4 layers × 4 heads × d 128, ctx 64, batch
 * 12) on one backend: kernels per training step (forward+backward, clipping, optimizer, from
 * `tf.profile`), ms per step with dropout 0 and 0.1 (interleaved), kernels and ms per decoded token
 * with the KV cache at contexts 64/256/1024 (a copy of the model with `maxLength` 1024), and
 * generation tokens/s at batch 1 and 8. Prints one JSON object (and writes it with `--json`).
 * Uses public APIs only, so the same file runs against an older checkout for before/after tables
 * (see `compare.ts`).
 *
 * Without `--backend` it runs itself once per backend (cpu, wasm, node; each in its own process,
 * cpu with fewer steps because a step takes seconds there) and prints a markdown table; a backend
 * that does not start (tfjs-node not installed) is skipped with the reason.
 *
 * Usage: pnpm --filter @tformer/bench perf [--backend node|wasm|cpu] [--steps 15] [--tokens 24]
 *   [--warmup 768] (tokens decoded unmeasured first) [--contexts 64,256,1024] [--parts training,decoding,generation] [--json out.json]
 *   [--baseline ../other-checkout]  (training steps of this checkout ÷ the other's, interleaved;
 *   only training is measured then)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import * as train from '@tformer/train';
import { launchedKernels } from './kernel-count.js';
import { warmUp } from './warm-up.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string' },
    steps: { type: 'string' },
    tokens: { type: 'string', default: '24' },
    warmup: { type: 'string', default: '768' },
    contexts: { type: 'string', default: '64,256,1024' },
    parts: { type: 'string', default: 'training,decoding,generation' },
    json: { type: 'string' },
    baseline: { type: 'string' },
  },
});
if (args.backend === undefined) {
  runAll();
  process.exit(0);
}
const steps = Number(args.steps ?? 15);
const tokens = Number(args.tokens);
const contexts = args.contexts.split(',').map(Number);
const parts = new Set(args.baseline ? [] : args.parts.split(','));
await selectBackend(args.backend as BackendName);
const B = 12;
const T = DECODER_LM_PRESETS.baby.maxLength;
const config = { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh' as const };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Kernels `f` launches (awaited) and the tally of the most frequent ones. */
async function kernels(f: () => unknown): Promise<{ count: number; top: Record<string, number> }> {
  const info = await tf.profile(async () => {
    await f();
  });
  const launched = launchedKernels(info.kernels);
  const tally: Record<string, number> = {};
  for (const k of launched) tally[k.name] = (tally[k.name] ?? 0) + 1;
  const top = Object.fromEntries(
    Object.entries(tally)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8),
  );
  return { count: launched.length, top };
}

function batch(seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const ids = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + seed * 31) % 65);
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    x.set(ids.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    y.set(ids.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.tensor2d(y, [B, T], 'int32') };
}

/** The packages a training setup is built from: this checkout's, or a baseline's `dist`. */
interface Packages {
  DecoderLM: typeof DecoderLM;
  train: typeof train;
}

const THIS_CHECKOUT: Packages = { DecoderLM, train };

/** One training setup: model, optimizer, and its step split into three parts. */
function trainer(dropout: number, pkgs: Packages = THIS_CHECKOUT) {
  const { DecoderLM, train } = pkgs;
  const model = new DecoderLM({ ...config, dropout }, { rng: 1337 });
  model.train();
  const optimizer = new train.AdamW(model.namedParameters(), { beta1: 0.9, beta2: 0.99 });
  const params = model.trainableParameters();
  // Gradients packed into the optimizer's groups when it offers that (as the Trainer does).
  const pack = (grads: tf.NamedTensorMap) => {
    const packed = optimizer.packGradients?.(grads) ?? grads;
    if (packed !== grads) tf.dispose(grads);
    return packed;
  };
  const parts = {
    grads: (x: tf.Tensor, y: tf.Tensor) => {
      const { value, grads } = tf.variableGrads(
        () => train.crossEntropy(model.apply(x), y),
        params,
      );
      return { value, grads: pack(grads) };
    },
    clip: (grads: tf.NamedTensorMap) => train.clipByGlobalNorm(grads, 1.0),
    update: (grads: tf.NamedTensorMap) => optimizer.step(grads, 1e-3),
  };
  const step = async (seed: number) => {
    const { x, y } = batch(seed);
    const { value, grads } = parts.grads(x, y);
    const clipped = parts.clip(grads);
    parts.update(clipped.grads);
    await value.data(); // the step is done when its loss is readable
    tf.dispose([
      x,
      y,
      value,
      clipped.norm,
      ...Object.values(grads),
      ...Object.values(clipped.grads),
    ]);
  };
  return { model, optimizer, parts, step };
}

async function trainingKernels(dropout = 0) {
  const t = trainer(dropout);
  await t.step(0); // warm-up: first-call kernel setup is not what a step costs
  const { x, y } = batch(1);
  let grads: tf.NamedTensorMap = {};
  let value: tf.Scalar | undefined;
  const forwardBackward = await kernels(() => {
    ({ value, grads } = t.parts.grads(x, y));
  });
  let clipped: { grads: tf.NamedTensorMap; norm: tf.Scalar } | undefined;
  const clip = await kernels(() => {
    clipped = t.parts.clip(grads);
  });
  const optimizer = await kernels(() => t.parts.update(clipped!.grads));
  tf.dispose([
    x,
    y,
    value!,
    clipped!.norm,
    ...Object.values(grads),
    ...Object.values(clipped!.grads),
  ]);
  t.model.dispose();
  t.optimizer.dispose();
  return {
    forwardBackward,
    clip,
    optimizer,
    total: forwardBackward.count + clip.count + optimizer.count,
  };
}

/** ms per step without and with dropout 0.1, the two runs interleaved step by step. */
async function trainingSpeed() {
  const runs = { dropout0: trainer(0), dropout01: trainer(0.1) };
  const ms: Record<keyof typeof runs, number[]> = { dropout0: [], dropout01: [] };
  for (let i = 0; i < steps + 2; i++) {
    for (const key of Object.keys(runs) as (keyof typeof runs)[]) {
      const t0 = performance.now();
      await runs[key].step(i);
      if (i >= 2) ms[key].push(performance.now() - t0);
    }
  }
  for (const r of Object.values(runs)) {
    r.model.dispose();
    r.optimizer.dispose();
  }
  const flops = 4.0e9; // nanoGPT's estimate for this config and batch: 6·N·B·T + attention
  const msPerStep = median(ms.dropout0);
  return {
    msPerStep,
    msPerStepDropout: median(ms.dropout01),
    dropoutRatio: median(ms.dropout01) / msPerStep,
    gflops: flops / 1e9 / (msPerStep / 1000),
  };
}

/**
 * Decoding with the KV cache (greedy, batch 1) on a `maxLength` 1024 copy: a prompt of
 * `context − tokens` ids, then `tokens` steps timed one by one; the kernels of one step near the
 * end are counted.
 */
async function decoding(model: DecoderLM, context: number) {
  const prompt = Array.from({ length: context - tokens }, (_, i) => (i * 13) % 65);
  const stream = generateStream(model, [prompt], { maxNewTokens: tokens, doSample: false });
  const ms: number[] = [];
  await stream.next(); // the prompt itself
  for (let i = 1; i < tokens - 1; i++) {
    const t0 = performance.now();
    await stream.next();
    ms.push(performance.now() - t0);
  }
  const profiled = await kernels(() => stream.next());
  await stream.return(undefined);
  return { context, msPerToken: median(ms), kernelsPerToken: profiled.count, top: profiled.top };
}

/** Tokens/s of greedy generation from prompts of 16 ids, 32 new tokens, batch 1 and 8. */
async function batchedGeneration(model: DecoderLM) {
  const rate = async (rows: number) => {
    const prompts = Array.from({ length: rows }, (_, r) =>
      Array.from({ length: 16 }, (_, i) => (i * 5 + r) % 65),
    );
    const t0 = performance.now();
    let n = 0;
    for await (const step of generateStream(model, prompts, {
      maxNewTokens: 32,
      doSample: false,
    })) {
      n += step.tokens.filter((t) => t >= 0).length;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  // Unmeasured: one generation of each batch size first, so that neither pays the first
  // run's JIT and kernel set-up at its shapes inside the timed ones.
  await rate(1);
  await rate(8);
  const r1: number[] = [];
  const r8: number[] = [];
  // 7 pairs: with 3, one preempted run at a shared machine's load moved the ratio by 1.5×.
  for (let i = 0; i < 7; i++) {
    r1.push(await rate(1));
    r8.push(await rate(8));
  }
  return { batch1TokensPerS: median(r1), batch8TokensPerS: median(r8) };
}

/**
 * This checkout ÷ a baseline checkout (`--baseline <path>`, its packages built): both `dist`s
 * imported by this one process (tfjs keeps one engine per process, so they share the backend),
 * training steps of the two alternated one by one so both see the same load. Kernels per step
 * of each and the median of the per-pair time ratios (< 1: this checkout is faster).
 */
async function againstBaseline(checkout: string) {
  const load = async (pkg: string) =>
    import(pathToFileURL(resolve(checkout, 'packages', pkg, 'dist/index.js')).href);
  const base: Packages = { DecoderLM: (await load('model')).DecoderLM, train: await load('train') };
  const runs = { base: trainer(0, base), now: trainer(0) };
  const total = async (t: ReturnType<typeof trainer>) => {
    const { x, y } = batch(1);
    const count = await kernels(async () => {
      const { value, grads } = t.parts.grads(x, y);
      const clipped = t.parts.clip(grads);
      t.parts.update(clipped.grads);
      await value.data();
      tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
    });
    tf.dispose([x, y]);
    return count.count;
  };
  const ms = { base: [] as number[], now: [] as number[] };
  const ratios: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const pair = i % 2 === 0 ? (['base', 'now'] as const) : (['now', 'base'] as const);
    const taken = { base: 0, now: 0 };
    for (const key of pair) {
      const t0 = performance.now();
      await runs[key].step(i);
      taken[key] = performance.now() - t0;
    }
    if (i < 2) continue; // warm-up
    ms.base.push(taken.base);
    ms.now.push(taken.now);
    ratios.push(taken.now / taken.base);
  }
  const kernelsPerStep = { base: await total(runs.base), now: await total(runs.now) };
  for (const r of Object.values(runs)) {
    r.model.dispose();
    r.optimizer.dispose();
  }
  return {
    baseline: checkout,
    pairs: ratios.length,
    msPerStep: { base: median(ms.base), now: median(ms.now) },
    ratio: median(ratios),
    kernelsPerStep,
  };
}

/**
 * One child process per backend (a backend's kernels and memory never mix with another's), then
 * a markdown table of the medians; a backend that fails to start is a row saying why.
 */
function runAll(): void {
  const self = fileURLToPath(import.meta.url);
  const rows: string[] = [];
  for (const backend of ['cpu', 'wasm', 'node']) {
    const forward = process.argv.slice(2);
    const steps = backend === 'cpu' && args.steps === undefined ? ['--steps', '3'] : [];
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, self, '--backend', backend, ...steps, ...forward],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const start = run.stdout.indexOf('{');
    if (run.status !== 0 || start < 0) {
      const why =
        run.stderr
          .trim()
          .split('\n')
          .find((l) => /Error|error/.test(l)) ?? 'failed';
      rows.push(`| ${backend} | skipped: ${why.slice(0, 160)} |`);
      continue;
    }
    const r = JSON.parse(run.stdout.slice(start)) as PerfResult;
    process.stderr.write(`${run.stdout.slice(start)}\n`);
    const fmt = (x: number | undefined, d = 1) => (x === undefined ? '–' : x.toFixed(d));
    const decode = (r.decoding ?? []).map(
      (d) => `${d.context}: ${fmt(d.msPerToken)} ms, ${d.kernelsPerToken} k`,
    );
    rows.push(
      `| ${backend} | ${fmt(r.training?.msPerStep, 0)} | ${fmt(r.training?.dropoutRatio, 2)} | ` +
        `${r.trainingKernels?.total ?? '–'} | ${decode.join('; ') || '–'} | ` +
        `${fmt(r.generation?.batch1TokensPerS, 0)} / ${fmt(r.generation?.batch8TokensPerS, 0)} |`,
    );
  }
  console.log(`baby config, ${new Date().toISOString()}, load ${loadavg()[0].toFixed(1)}\n`);
  console.log(
    '| backend | ms/step | dropout 0.1 ratio | kernels/step | decode (ctx: ms/token, kernels/token) | tokens/s b1 / b8 |',
  );
  console.log('|---|---:|---:|---:|---|---:|');
  for (const row of rows) console.log(row);
}

interface PerfResult {
  training?: { msPerStep: number; dropoutRatio: number };
  trainingKernels?: { total: number };
  decoding?: Array<{ context: number; msPerToken: number; kernelsPerToken: number }>;
  generation?: { batch1TokensPerS: number; batch8TokensPerS: number };
}

const before = tf.memory().numTensors;
const result: Record<string, unknown> = {
  backend: tf.getBackend(),
  date: new Date().toISOString(),
  load: loadavg()[0],
};
if (args.baseline) result.baseline = await againstBaseline(args.baseline);
if (parts.has('training')) {
  result.trainingKernels = await trainingKernels();
  result.trainingKernelsDropout = (await trainingKernels(0.1)).total;
  result.training = await trainingSpeed();
}
if (parts.has('decoding')) {
  const long = new DecoderLM({ ...config, maxLength: 1024 }, { rng: 7 });
  result.decoding = [];
  await warmUp(long, Number(args.warmup));
  for (const context of contexts)
    (result.decoding as unknown[]).push(await decoding(long, context));
  long.dispose();
}
if (parts.has('generation')) {
  const short = new DecoderLM(config, { rng: 7 });
  result.generation = await batchedGeneration(short);
  short.dispose();
}
result.leakedTensors = tf.memory().numTensors - before;
console.log(JSON.stringify(result, null, 1));
if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
