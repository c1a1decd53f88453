/**
 * Issue 17's lever "wasm threads in Node (tfjs disables them; measure a worker-based
 * alternative before keeping anything)". tfjs-wasm 4.22 runs one thread in Node (its thread pool
 * needs blob: workers, which worker_threads rejects), so batched generation there is bounded by
 * one core's arithmetic (`generation-bound.ts`). The alternative measured here splits a batch
 * over worker threads, each with its own tfjs-wasm and a copy of the model
 * (`wasm-worker-generate.ts`), rows divided evenly: batch 8 as `--workers` parts, against batch 8,
 * one worker's share and batch 1 on the main thread. Greedy generation on nanoGPT's `baby` config
 * (`gelu_tanh`), prompts of 16 ids, 32 new tokens per row, as `perf.ts` times it; the four run
 * interleaved, one of each per round; medians of wall time (what the caller waits, postMessage
 * included). Before timing, each
 * worker's rows are checked against the main thread's generation of the same rows (same weights,
 * same batch size: the same tokens).
 *
 * Usage: pnpm --filter @tformer/bench wasm-workers [--workers 2] [--rounds 9] [--write]
 *   (--write puts the table between `<!-- wasm-workers:start -->` and `:end -->` in docs/benchmarks.md)
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { generate } from '@tformer/model/generate';
import { table, writeMarkedSection } from './efficiency-report.js';
import { warmUp } from './warm-up.js';
import type { Weights } from './wasm-worker-generate.js';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '9' },
    warmup: { type: 'string', default: '512' },
    write: { type: 'boolean', default: false },
  },
});
const W = Number(args.workers);
const [ROWS, PROMPT, NEW] = [8, 16, 32];
if (!Number.isInteger(W) || W < 1 || ROWS % W !== 0) {
  throw new Error(`--workers: expected a divisor of ${ROWS}, got ${args.workers}`);
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = [loadavg()[0]!];

const { info } = await selectBackend('wasm');
const config = { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh' as const };
const model = new DecoderLM(config, { rng: 7 });
model.eval();
const weights: Weights = Object.fromEntries(
  await Promise.all(
    Object.entries(model.stateDict()).map(async ([name, v]) => [
      name,
      { shape: v.shape, values: (await v.data()) as Float32Array },
    ]),
  ),
);
const prompts = Array.from({ length: ROWS }, (_, r) =>
  Array.from({ length: PROMPT }, (_, i) => (i * 5 + r) % 65),
);
const parts = Array.from({ length: W }, (_, k) =>
  prompts.slice((k * ROWS) / W, ((k + 1) * ROWS) / W),
);

/** A worker thread answering one message at a time (an error rejects the pending answer). */
function start(): { ask: <T>(message: unknown) => Promise<T>; worker: Worker } {
  const worker = new Worker(fileURLToPath(new URL('./wasm-worker-entry.mjs', import.meta.url)));
  let pending: { resolve: (answer: unknown) => void; reject: (error: Error) => void } | undefined;
  worker.on('message', (answer: unknown) => pending?.resolve(answer));
  worker.on('error', (error) => pending?.reject(error));
  const ask = <T>(message: unknown) =>
    new Promise<T>((resolve, reject) => {
      pending = { resolve: resolve as (answer: unknown) => void, reject };
      worker.postMessage(message);
    });
  return { ask, worker };
}
const workers = Array.from({ length: W }, start);
await Promise.all(workers.map((w) => w.ask({ config, weights, warmup: Number(args.warmup) })));
await warmUp(model, Number(args.warmup));

const overWorkers = async () =>
  (
    await Promise.all(
      workers.map((w, k) =>
        w.ask<{ tokens: number[][] }>({ prompts: parts[k], maxNewTokens: NEW }),
      ),
    )
  ).flatMap((r) => r.tokens);
const here = (rows: number[][]) => generate(model, rows, { maxNewTokens: NEW, doSample: false });

// The same rows at the same batch size give the same tokens on either side.
const split = await overWorkers();
const alone: number[][] = [];
for (const part of parts) alone.push(...(await here(part)));
if (JSON.stringify(split) !== JSON.stringify(alone)) {
  throw new Error('the workers generated other tokens than the main thread for the same rows');
}

const runs = [
  { name: 'batch 1, main thread', rows: 1, run: () => here(prompts.slice(0, 1)) },
  {
    name: `batch ${ROWS / W}, main thread (one worker's share)`,
    rows: ROWS / W,
    run: () => here(parts[0]!),
  },
  { name: 'batch 8, main thread', rows: ROWS, run: () => here(prompts) },
  {
    name: `batch 8 over ${W} worker threads (${ROWS / W} rows each)`,
    rows: ROWS,
    run: overWorkers,
  },
].map((r) => ({ ...r, ms: [] as number[] }));
for (let round = 0; round < Number(args.rounds); round++) {
  for (const r of runs) {
    const t0 = performance.now();
    await r.run();
    r.ms.push(performance.now() - t0);
  }
}
load.push(loadavg()[0]!);
await Promise.all(workers.map((w) => w.worker.terminate()));
model.dispose();

const tokensPerSecond = (r: (typeof runs)[number]) => (r.rows * NEW * 1000) / median(r.ms);
const single = tokensPerSecond(runs[0]!);
const lines = runs.map((r) => [
  r.name,
  median(r.ms).toFixed(1),
  r.ms.map((x) => x.toFixed(0)).join(', '),
  tokensPerSecond(r).toFixed(0),
  `${(tokensPerSecond(r) / single).toFixed(2)}×`,
]);
const report = [
  `Date: ${new Date().toISOString().slice(0, 10)} (UTC). Machine: ${cpus().length} shared vCPU (${cpus()[0]?.model.trim()}), Node ${process.versions.node}, tfjs-wasm (SIMD ${info.simd ? 'on' : 'off'}, one thread in each JS thread); 1-minute load ${load.map((l) => l.toFixed(1)).join(' → ')}. Greedy, \`baby\` (\`gelu_tanh\`), 16-id prompts, ${NEW} new tokens per row; ${args.rounds} interleaved rounds; wall time. Command: \`pnpm --filter @tformer/bench wasm-workers --workers ${W} --rounds ${args.rounds} --write\`.`,
  '',
  table(['generation', 'ms (median)', 'per round', 'tokens/s', '÷ batch 1'], lines),
  '',
].join('\n');
console.log(report);
if (args.write) {
  const doc = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
  writeMarkedSection(doc, 'wasm-workers', report);
}
