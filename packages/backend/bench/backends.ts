// `pnpm bench`: training tokens/s of a small decoder and rank-2 matmul GFLOP/s on every backend that
// starts here, each in its own process; writes the table into docs/benchmarks.md (backend section).
// usage: tsx bench/backends.ts [--backends cpu,wasm,node,webgpu] [--no-write]
//        tsx bench/backends.ts --one <backend>   (one backend, JSON on the last stdout line)
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  describeBackend,
  formatBackendInfo,
  selectBackend,
} from '../src/index.js';
import { BENCH_CONFIG, makeDecoder } from './decoder.js';

interface Row {
  backend: string;
  info: string;
  msPerStep: number;
  steps: number;
  tokensPerSecond: number;
  firstLoss: number;
  lastLoss: number;
  gflops: Record<string, number>;
  /** 1-minute load average when the backend's run ended: the machine is shared. */
  load: number;
}

/**
 * Timed training steps per backend, after `warmup` untimed ones (shader compiles, kernel packing),
 * sized to keep the whole run to a few minutes: cpu takes ~25 s a step, so it runs no warm-up
 * (it compiles nothing) and skips the 1024 matmul (~3 s a product).
 */
const PLAN: Record<string, { steps: number; warmup: number; sizes: number[] }> = {
  cpu: { steps: 2, warmup: 0, sizes: [256, 512] },
  wasm: { steps: 4, warmup: 1, sizes: [256, 512, 1024] },
  node: { steps: 8, warmup: 1, sizes: [256, 512, 1024] },
  'node-gpu': { steps: 8, warmup: 1, sizes: [256, 512, 1024] },
  webgpu: { steps: 3, warmup: 1, sizes: [256, 512, 1024] },
  webgl: { steps: 3, warmup: 1, sizes: [256, 512, 1024] },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function matmulGflops(n: number): Promise<number> {
  const [a, b] = [tf.randomUniform([n, n]), tf.randomUniform([n, n])] as tf.Tensor2D[];
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a!, b!);
    await c.data();
    c.dispose();
    return performance.now() - t0;
  };
  await once(); // warm-up: shader compile, XNNPACK packing, first allocation
  const first = await once();
  const reps = Math.max(2, Math.min(15, Math.floor(2500 / first)));
  const times = [first];
  for (let i = 1; i < reps; i++) times.push(await once());
  tf.dispose([a!, b!]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

async function one(backend: BackendName): Promise<Row> {
  await selectBackend(backend);
  const info = formatBackendInfo(describeBackend());
  const gflops: Record<string, number> = {};
  const plan = PLAN[backend]!;
  for (const n of plan.sizes) gflops[n] = await matmulGflops(n);
  const c = BENCH_CONFIG;
  const model = makeDecoder(c);
  const optimizer = tf.train.adam(1e-3);
  // A fixed pseudo-random batch of ids (ctx+1 per row: inputs and next-token targets).
  const ids = Int32Array.from(
    { length: c.batch * (c.ctx + 1) },
    (_, i) => (i * 7919 + (i >> 7) * 31) % c.vocab,
  );
  const all = tf.tensor2d(ids, [c.batch, c.ctx + 1], 'int32');
  const inputs = tf.slice(all, [0, 0], [c.batch, c.ctx]);
  const targets = tf.slice(all, [0, 1], [c.batch, c.ctx]);
  const losses: number[] = [];
  const times: number[] = [];
  const { steps, warmup } = plan;
  for (let s = 0; s < warmup + steps; s++) {
    const t0 = performance.now();
    const loss = optimizer.minimize(() => model.loss(inputs, targets), true, model.params)!;
    losses.push((await loss.data())[0]!);
    loss.dispose();
    if (s >= warmup) times.push(performance.now() - t0);
  }
  const msPerStep = median(times);
  return {
    backend,
    info,
    msPerStep,
    steps,
    tokensPerSecond: (c.batch * c.ctx) / (msPerStep / 1000),
    firstLoss: losses[0]!,
    lastLoss: losses.at(-1)!,
    gflops,
    load: loadavg()[0]!,
  };
}

function table(rows: Row[], auto: string, command: string): string {
  const f = (x: number, d = 1) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    '## Backends',
    '',
    `Date ${new Date().toISOString().slice(0, 10)} (UTC) · machine: ${cpus().length} vCPU ${cpus()[0]?.model.trim() ?? ''}, shared · Node ${process.versions.node} · tfjs ${tf.version_core} · ` +
      `command: \`${command}\` (packages/backend/bench/backends.ts; each backend in its own process).`,
    '',
    `Training: the decoder of bench/decoder.ts (${BENCH_CONFIG.layers} layers, d=${BENCH_CONFIG.d}, ${BENCH_CONFIG.heads} ` +
      `heads, ctx ${BENCH_CONFIG.ctx}, batch ${BENCH_CONFIG.batch}, vocab ${BENCH_CONFIG.vocab}, Adam), rank-2 matmuls ` +
      'with explicit-transpose custom gradients; median ms/step over the timed steps after one warm-up step ' +
      '(none on cpu). Matmul: rank-2 `tf.matMul` n×n·n×n, median GFLOP/s including the read-back. ' +
      '"load avg": the 1-minute load average at the end of that backend\'s run — other jobs share the 2 vCPUs, so ' +
      'absolute numbers are lower than on an idle machine (tfjs-facts.md); compare backends within the table.',
    '',
    '| backend | ms/step | train tokens/s | steps | loss first → last | matmul 256 | matmul 512 | matmul 1024 | load avg | runs on |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${f(r.msPerStep, 0)} | ${f(r.tokensPerSecond, 0)} | ${r.steps} | ${f(r.firstLoss, 4)} → ${f(r.lastLoss, 4)} | ` +
        `${[256, 512, 1024].map((n) => (r.gflops[n] === undefined ? '—' : f(r.gflops[n]))).join(' | ')} | ` +
        `${f(r.load)} | ${r.info
          .replace(/^backend \S+ /, '')
          .replace(/, binaries \S+/, '')
          .replace(/\|/g, '/')} |`,
    ),
    '',
    `\`selectBackend('auto')\` on this machine: **${auto}**.`,
  ].join('\n');
}

const args = process.argv.slice(2);
if (args[0] === '--one') {
  console.log(JSON.stringify(await one(args[1] as BackendName)));
  process.exit(0); // webgpu's Dawn instance would keep the process alive
}
const flag = args.indexOf('--backends');
const wanted = (flag >= 0 ? args[flag + 1]! : 'cpu,wasm,node,webgpu').split(',') as BackendName[];
const rows: Row[] = [];
const self = fileURLToPath(import.meta.url);
for (const backend of wanted) {
  const started = performance.now();
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--one', backend], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 420_000,
    });
    const row = JSON.parse(out.trim().split('\n').at(-1)!) as Row;
    rows.push(row);
    console.log(
      `${backend}: ${row.msPerStep.toFixed(0)} ms/step, ${row.tokensPerSecond.toFixed(0)} tokens/s, matmul 512 ` +
        `${(row.gflops[512] ?? 0).toFixed(1)} GFLOP/s (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  } catch (error) {
    console.log(`${backend}: skipped (${(error as Error).message.split('\n')[0]})`);
  }
}
const auto = await selectBackend('auto');
const autoLine = `${auto.name} (${auto.tried.map((t) => `${t.name} skipped: ${t.error.split('\n')[0]!.replace(/^backend '[^']+' is unavailable: /, '')}`).join('; ')})`;
console.log(`auto: ${autoLine}`);
const md = table(rows, autoLine, 'pnpm --filter @tformer/backend bench');
console.log(`\n${md}`);
if (!args.includes('--no-write')) {
  const docs = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
  const text = readFileSync(docs, 'utf8');
  const [start, end] = ['<!-- backend:start -->', '<!-- backend:end -->'];
  if (!text.includes(start) || !text.includes(end))
    throw new Error(`${docs}: no ${start} … ${end} section`);
  // Atomic: a temp file beside it, then a rename over it.
  const temp = `${docs}.${process.pid}.tmp`;
  writeFileSync(
    temp,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${md}\n${text.slice(text.indexOf(end))}`,
  );
  renameSync(temp, docs);
  console.log(`wrote ${docs} (${cpus().length} CPUs)`);
}
process.exit(0);
