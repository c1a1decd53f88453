/**
 * What bounds batched generation's speed-up: tokens/s of batch 8 ÷ batch 1 (issue 17's goal is
 * ≥ 6×) set beside the same generation's weight products alone. Greedy generation on nanoGPT's
 * `baby` config (`gelu_tanh`) from prompts of 16 ids, 32 new tokens per row, as perf.ts measures
 * it; also the first token alone (set-up + prompt pass), and the model's weight products — per
 * layer the q, k, v and output projections, x·W1, h·W2, then the last rows' logits — at the
 * shapes and count that generation runs them (see SHAPES): the prompt's B·16 rows once, then B
 * rows for each of the 31 steps, each step read back. Every product of batch 8 has 8× the
 * arithmetic of batch 1 and nothing can remove it (one thread, a rank-2 matMul already at XNNPACK
 * speed), so even if everything else cost batch 8 no more than batch 1, the ratio could be at
 * most 8·t₁ ÷ (t₁ + Δproducts).
 * Batch sizes and parts run interleaved, one of each in turn; medians.
 *
 * Usage: pnpm --filter @tformer/bench generation-bound [--backend wasm] [--rounds 15]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import { table } from './efficiency-report.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    rounds: { type: 'string', default: '15' },
  },
});
await selectBackend(args.backend as BackendName);
const config: DecoderLMConfig = { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh' };
const [PROMPT, NEW] = [16, 32];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const model = new DecoderLM(config, { rng: 7 });

/** Greedy generation of `tokens` new tokens per row for `rows` prompts of 16 ids. */
async function generation(rows: number, tokens: number): Promise<void> {
  const prompts = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: PROMPT }, (_, i) => (i * 5 + r) % 65),
  );
  for await (const _ of generateStream(model, prompts, { maxNewTokens: tokens, doSample: false })) {
    // consumed: the time is the measurement
  }
}

const { dModel: C, vocabSize: V, numLayers } = config;
const F = config.dFF ?? 4 * C;
/**
 * One layer's weight shapes `[in, out]` as each path runs them: the prompt pass (the layer path:
 * three projections, output, FFN) and the one-token step (`DecodeStep` off node: a q product and
 * one [Wk|Wv] product, and the stream's extra ε column, C + 1; `baby` has as many key/value heads
 * as query heads).
 */
const SHAPES = {
  prompt: [
    [C, C],
    [C, C],
    [C, C],
    [C, C],
    [C, F],
    [F, C],
    [C, V],
  ],
  step: [
    [C + 1, C],
    [C + 1, 2 * C],
    [C, C + 1],
    [C + 1, F],
    [F, C + 1],
    [C + 1, V],
  ],
} as const;
const weights = Object.fromEntries(
  Object.entries(SHAPES).map(([path, shapes]) => [
    path,
    shapes.map(([k, n]) => tf.randomNormal([k, n], 0, 0.1) as tf.Tensor2D),
  ]),
) as Record<keyof typeof SHAPES, tf.Tensor2D[]>;

/** One pass of `path`'s weight products over `n` rows, the logits over the last `rows`; read back. */
async function products(path: keyof typeof SHAPES, n: number, rows: number): Promise<void> {
  const ws = weights[path];
  const logits = tf.tidy(() => {
    const inputs = new Map<string, tf.Tensor2D>(); // one per shape: values do not change the time
    const input = (m: number, k: number) => {
      const key = `${m}x${k}`;
      if (!inputs.has(key)) inputs.set(key, tf.ones([m, k]));
      return inputs.get(key)!;
    };
    for (let l = 0; l < numLayers; l++) {
      for (const w of ws.slice(0, -1)) tf.matMul(input(n, w.shape[0]), w); // wasm runs it eagerly
    }
    const unembed = ws.at(-1)!;
    return tf.matMul(input(rows, unembed.shape[0]), unembed); // [rows, V]
  });
  await logits.data();
  logits.dispose();
}

/** The weight products of one generation of `rows` rows (prompt, then 31 steps). */
async function generationProducts(rows: number): Promise<void> {
  await products('prompt', rows * PROMPT, rows);
  for (let step = 1; step < NEW; step++) await products('step', rows, rows);
}

/**
 * Wall ms and CPU ms (this process's user + system time) of `run`. tfjs-wasm computes on the
 * calling thread, so CPU time leaves out the time other processes held the shared cores, which
 * at this machine's loads moves wall times by 3× from run to run.
 */
async function timed(run: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const [t0, c0] = [performance.now(), process.cpuUsage()];
  await run();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

const load = [loadavg()[0]!];
const parts = {
  whole: (rows: number) => generation(rows, NEW),
  first: (rows: number) => generation(rows, 1),
  products: generationProducts,
};
const before = tf.memory().numTensors;
const ms: Record<string, number[]> = {};
for (let round = -1; round < Number(args.rounds); round++) {
  for (const rows of [1, 8]) {
    for (const [name, run] of Object.entries(parts)) {
      const t = await timed(() => run(rows));
      if (round < 0) continue; // round −1 warms every part up
      (ms[`${name}${rows} wall`] ??= []).push(t.wall);
      (ms[`${name}${rows} cpu`] ??= []).push(t.cpu);
    }
  }
}
load.push(loadavg()[0]!);
const leaked = tf.memory().numTensors - before;
const m = (key: string) => median(ms[key]!);
const flops =
  2 * (8 * PROMPT + 8 * (NEW - 1)) * numLayers * C * (3 * C + C + 2 * F) + 2 * NEW * 8 * C * V;
const f = (x: number, digits = 1) => x.toFixed(digits);
const clocks = ['cpu', 'wall'] as const;
const row = (label: string, part: string) => [
  label,
  ...clocks.flatMap((c) => {
    const [one, eight] = [m(`${part}1 ${c}`), m(`${part}8 ${c}`)];
    return [f(one), f(eight), f(eight - one)];
  }),
];
console.log(
  `Backend ${tf.getBackend()}, ${cpus().length} vCPU (${cpus()[0]?.model.trim()}), ${new Date().toISOString().slice(0, 16)} UTC, 1-minute load ${load.map((x) => f(x)).join(' → ')}; ${args.rounds} interleaved rounds, medians.\n`,
);
console.log(
  table(
    [
      'ms per generation (32 new tokens per row)',
      ...clocks.flatMap((c) => [`${c}: batch 1`, 'batch 8', 'difference']),
    ],
    [
      row('whole generation', 'whole'),
      row('of which the first token (set-up + prompt pass)', 'first'),
      row('its weight products alone', 'products'),
    ],
  ),
);
for (const c of clocks) {
  const [t1, t8] = [m(`whole1 ${c}`), m(`whole8 ${c}`)];
  const extra = m(`products8 ${c}`) - m(`products1 ${c}`);
  console.log(
    `\n${c}: tokens/s batch 1 ${f((NEW / t1) * 1000, 0)}, batch 8 ${f(((8 * NEW) / t8) * 1000, 0)}, ` +
      `**${f((8 * t1) / t8, 2)}×**; batch 8's products ${f(flops / 1e6, 0)} MFLOP at ` +
      `${f(flops / m(`products8 ${c}`) / 1e6)} GFLOP/s; were all else no dearer at batch 8, ` +
      `8·t₁ ÷ (t₁ + Δproducts) = **${f((8 * t1) / (t1 + extra), 2)}×**.`,
  );
}
tf.dispose(Object.values(weights).flat());
model.dispose();
console.log(`Leaked tensors over the timed runs: ${leaked}.`);
