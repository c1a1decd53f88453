/**
 * KV-cached decoding of nanoGPT's `baby` config (4 layers × 4 heads × d 128, `gelu_tanh`): kernels
 * and ms per token of the one-token path (`fusedStep`, default) against the layer path and
 * against recomputing without a cache, at contexts 64/256/1024 (a `maxLength` 1024 copy, as
 * perf.ts); the rolling cache of a RoPE model past its 64-token context against nanoGPT's crop;
 * tokens/s of batch 1 and 8 (left-padded prompts of 9–16 ids); and each lever of the one-token
 * path measured alone on its own ops. Every comparison runs its variants interleaved in one
 * process (one step of each in turn) and quotes medians.
 *
 * Without `--backend` it runs itself once per backend of `--backends` (default wasm, cpu, node;
 * one that does not start is skipped with the reason) and prints markdown; `--write` puts it between
 * `<!-- decode:start -->` and `<!-- decode:end -->` in docs/benchmarks.md.
 *
 * Usage: pnpm --filter @tformer/bench decode [--backend wasm|cpu|node] [--backends wasm,cpu] [--tokens 16]
 *   [--contexts 64,256,1024] [--write]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { forDecoding } from '@tformer/app-kit';
import { scaledDotProductAttention } from '@tformer/attention';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { type GenerateOptions, generateStream } from '@tformer/model/generate';
import { geluTanh, LayerNorm, linear } from '@tformer/nn';
import { table, writeMarkedSection } from './efficiency-report.js';
import { launchedKernels } from './kernel-count.js';
import { warmUp } from './warm-up.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string' },
    backends: { type: 'string', default: 'wasm,cpu,node' },
    tokens: { type: 'string', default: '16' },
    contexts: { type: 'string', default: '64,256,1024' },
    write: { type: 'boolean', default: false },
  },
});
const config: DecoderLMConfig = { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh' };
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const prompt = (length: number, salt = 0) =>
  Array.from({ length }, (_, i) => (i * 13 + salt * 7) % 65);

/** Kernels launched while `f` runs. */
async function kernels(f: () => Promise<unknown>): Promise<number> {
  const info = await tf.profile(async () => {
    await f();
  });
  return launchedKernels(info.kernels).length;
}

interface Variant {
  name: string;
  options: Partial<GenerateOptions>;
}

/**
 * ms and kernels per token of each variant, decoding batch 1 after a prompt of `promptLength`:
 * one step of every variant in turn, `tokens` times; then one profiled step each.
 */
async function perToken(model: DecoderLM, promptLength: number, variants: Variant[]) {
  const tokens = Number(args.tokens);
  const streams = variants.map((v) =>
    generateStream(model, [prompt(promptLength)], {
      maxNewTokens: tokens + 2,
      doSample: false,
      ...v.options,
    }),
  );
  for (const s of streams) await s.next(); // the prompt
  const ms = variants.map((): number[] => []);
  for (let i = 0; i < tokens; i++) {
    for (const [j, s] of streams.entries()) {
      const t0 = performance.now();
      await s.next();
      ms[j]!.push(performance.now() - t0);
    }
  }
  const counts: number[] = [];
  for (const s of streams) {
    counts.push(await kernels(() => s.next()));
    await s.return(undefined);
  }
  return variants.map((v, j) => ({ name: v.name, ms: median(ms[j]!), kernels: counts[j]! }));
}

/** Tokens/s of greedy generation, 32 new tokens, batch 1 and 8, both paths, interleaved. */
async function batches(model: DecoderLM) {
  const rate = async (rows: number, fusedStep: boolean) => {
    const prompts = Array.from({ length: rows }, (_, r) => prompt(rows === 1 ? 16 : 9 + r, r));
    const t0 = performance.now();
    let n = 0;
    const stream = generateStream(model, prompts, { maxNewTokens: 32, doSample: false, fusedStep });
    for await (const step of stream) n += step.tokens.filter((t) => t >= 0).length;
    return n / ((performance.now() - t0) / 1000);
  };
  const runs = {
    b1: [] as number[],
    b8: [] as number[],
    b1Layers: [] as number[],
    b8Layers: [] as number[],
  };
  // Unmeasured: one run of every variant first, so that none pays the JIT and kernel set-up
  // at its shapes inside the timed runs (batch 8 used to pay it in its first timed run).
  for (const [rows, fused] of [
    [1, true],
    [8, true],
    [1, false],
    [8, false],
  ] as const) {
    await rate(rows, fused);
  }
  for (let i = 0; i < 5; i++) {
    runs.b1.push(await rate(1, true));
    runs.b8.push(await rate(8, true));
    runs.b1Layers.push(await rate(1, false));
    runs.b8Layers.push(await rate(8, false));
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
}

/**
 * Each lever alone, on the ops of one layer at batch `B` (d 128, 4 heads, 64 cached keys): the
 * layer path's ops against the one-token path's as this backend runs them (node: per-head
 * products, a packed `[k | v]` cache, LRN kernels for the norm and GELU's cubic, rows
 * `[1, 1, B, ·]` and FFN columns `[1, 1, dFF, B]`), interleaved 150 times; kernels and medians.
 */
async function levers(B: number) {
  const node = tf.getBackend() === 'tensorflow';
  const C = 128;
  const [H, d, S] = [4, 32, 64];
  const keep = <T extends tf.Tensor>(t: T) => tf.keep(t);
  const w = () => keep(tf.randomNormal([C, C], 0, 0.1)) as tf.Tensor2D;
  const [wq, wk, wv] = [w(), w(), w()];
  const wqkv = keep(tf.concat([wq, wk, wv], 1)) as tf.Tensor2D; // [C, 3C]
  const wqPadded = keep(
    tf.pad(wq, [
      [0, 1],
      [0, 0],
    ]),
  ) as tf.Tensor2D; // [C + 1, C]: the ε row
  const norm = new LayerNorm({ dModel: C, eps: 1e-5, useBias: false });
  const x3 = keep(tf.randomNormal([B, 1, C]));
  const x2 = keep(tf.reshape(x3, [B, C])) as tf.Tensor2D;
  // The one-token path's stream: centred, plus the constant ε column √(C·ε).
  const stream = keep(
    tf.tidy(() =>
      tf.concat([tf.sub(x2, tf.mean(x2, -1, true)), tf.fill([B, 1], Math.sqrt(C * 1e-5))], 1),
    ),
  );
  const h = keep(tf.randomNormal([B, 4 * C])) as tf.Tensor2D;
  const keys = keep(tf.randomNormal([B, H, S, d]));
  const values = keep(tf.randomNormal([B, H, S, d]));
  const q = keep(tf.randomNormal([B, H, 1, d]));
  const c = 0.044715 / (2 * Math.sqrt(2 / Math.PI)) ** 2;
  const heads = (x: tf.Tensor, from: number) => tf.slice(x, [0, from, 0, 0], [B, H, 1, d]);
  // Node's layouts: the stream as [1, 1, B, ·], per-head [q·s | 0] and [k | v] weights, a packed
  // [k | v] cache, the FFN's hidden activations as columns [1, 1, dFF, B].
  const nodeRows = keep(tf.reshape(x2, [1, 1, B, C]));
  const nodeStream = keep(tf.reshape(stream, [1, 1, B, C + 1])) as tf.Tensor4D;
  const perHead = () => keep(tf.randomNormal([H, C, 2 * d], 0, 0.1));
  const [wQueryHeads, wKeyValueHeads] = [perHead(), perHead()];
  const packed = keep(tf.concat([keys, values], 3)); // [B, H, S, 2d]
  const queryPadded = keep(tf.tidy(() => tf.concat([q, tf.zerosLike(q)], 3))); // [B, H, 1, 2d]
  const columns = keep(tf.tidy(() => tf.reshape(tf.transpose(h), [1, 1, 4 * C, B]))) as tf.Tensor4D;
  // Beam search's cache reorder: rows 0, 0, 1, … of a [B, 4, 64, 32] cache.
  const parents = Array.from({ length: B }, (_, i) => Math.floor(i / 2));
  const pairs: Record<string, [() => tf.Tensor | tf.Tensor[], () => tf.Tensor | tf.Tensor[]]> = {
    [node
      ? 'Q, K, V: three projections + head reshapes → per-head products (q·s, 0) and (k, v) (a reshape of the rows when B > 1)'
      : 'Q, K, V: three projections + head reshapes → one product, one reshape, three slices']: [
      () => [wq, wk, wv].map((m) => tf.reshape(linear(x3, m), [B, H, 1, d])),
      node
        ? () => {
            const rows = B > 1 ? tf.reshape(nodeRows, [B, 1, 1, C]) : nodeRows; // [B, 1, 1, C]
            return [tf.matMul(rows, wQueryHeads), tf.matMul(rows, wKeyValueHeads)];
          }
        : () => {
            const parts = tf.reshape(tf.matMul(x2, wqkv), [B, 3 * H, 1, d]);
            return [heads(parts, 0), heads(parts, H), heads(parts, 2 * H)];
          },
    ],
    [node
      ? 'LayerNorm, then a product → one LRN kernel (window: the whole row), product with γ folded'
      : 'LayerNorm, then a product → dot (or Σ of squares), rsqrt, mul, product with γ folded']: [
      () => linear(norm.apply(x3), wq),
      node
        ? () => tf.matMul(tf.localResponseNormalization(nodeStream, C + 1, 0, 1, 0.5), wqPadded)
        : () => {
            const sum =
              B === 1
                ? tf.matMul(stream, stream, false, true)
                : tf.sum(tf.square(stream), -1, true);
            return tf.matMul(tf.mul(stream, tf.rsqrt(sum)), wqPadded);
          },
    ],
    [node
      ? 'GELU (tanh) → w·σ(w·(1 + c·w²)) on folded weights, the cubic one LRN kernel on columns'
      : 'GELU (tanh) → w·σ(w + c·w²·w) on folded weights']: [
      () => geluTanh(h),
      node
        ? () => tf.mul(columns, tf.sigmoid(tf.localResponseNormalization(columns, 0, 1, c, -1)))
        : () => tf.mul(h, tf.sigmoid(tf.add(h, tf.mul(tf.mul(tf.square(h), h), c)))),
    ],
    [node
      ? 'attention at T = 1: per-head kernel → (q·s, 0)·(k, v)ᵀ, softmax, (k, v)ᵀ·pᵀ (packed cache)'
      : 'attention at T = 1: per-head kernel → q·kᵀ, softmax, vᵀ·pᵀ (batched)']: [
      () => scaledDotProductAttention(q, keys, values),
      node
        ? () =>
            tf.matMul(packed, tf.softmax(tf.matMul(queryPadded, packed, false, true)), true, true)
        : () => tf.matMul(values, tf.softmax(tf.matMul(q, keys, false, true)), true, true),
    ],
    'cache reorder (beam search): gather → gatherND over whole rows (KVCache on wasm, node)': [
      () => tf.gather(keys, tf.tensor1d(parents, 'int32'), 0),
      () => tf.gatherND(keys, tf.tensor2d(parents, [B, 1], 'int32')),
    ],
  };
  const out = [];
  for (const [name, [before, after]] of Object.entries(pairs)) {
    const run = async (f: () => tf.Tensor | tf.Tensor[]) => {
      const t0 = performance.now();
      const r = tf.tidy(f);
      const list = Array.isArray(r) ? r : [r];
      await Promise.all(list.map((t) => t.data()));
      tf.dispose(list);
      return performance.now() - t0;
    };
    const ms: [number[], number[]] = [[], []];
    for (let i = 0; i < 150; i++) {
      ms[0].push(await run(before));
      ms[1].push(await run(after));
    }
    const count = (f: () => tf.Tensor | tf.Tensor[]) => kernels(async () => tf.dispose(tf.tidy(f)));
    out.push({
      name,
      batch: B,
      kernels: [await count(before), await count(after)],
      ms: [median(ms[0]), median(ms[1])],
    });
  }
  tf.dispose([wq, wk, wv, wqkv, wqPadded, x3, x2, stream, h, keys, values, q]);
  tf.dispose([nodeRows, nodeStream, wQueryHeads, wKeyValueHeads, packed, queryPadded, columns]);
  norm.dispose();
  return out;
}

async function measure() {
  // Node starts as the apps' decoding commands start it (oneDNN off, one intra-op thread).
  const { onednn, intraOpThreads } = forDecoding({ backend: args.backend });
  await selectBackend(
    args.backend as BackendName,
    args.backend === 'node' ? { onednn, intraOpThreads } : {},
  );
  const before = tf.memory().numTensors;
  const long = new DecoderLM({ ...config, maxLength: 1024 }, { rng: 7 });
  const paths: Variant[] = [
    { name: 'one-token path', options: {} },
    { name: 'layer path', options: { fusedStep: false } },
    { name: 'no cache', options: { useCache: false } },
  ];
  // Unmeasured first, both paths, so that the first context is not the coldest.
  await warmUp(long, 600);
  await warmUp(long, 200, { fusedStep: false });
  const contexts = [];
  for (const context of args.contexts.split(',').map(Number)) {
    // Without a cache a token at context 1024 is a whole 1024-token forward pass: left out there.
    const variants = context > 256 ? paths.slice(0, 2) : paths;
    const rows = await perToken(long, context - Number(args.tokens) - 3, variants);
    contexts.push({ context, rows });
  }
  long.dispose();
  // RoPE, context 64, decoding at positions ~200: the rolling cache against the crop.
  const rope = new DecoderLM({ ...config, position: 'rope' }, { rng: 7 });
  const rolling = await perToken(rope, 200, [
    { name: 'slide (rolling cache)', options: {} },
    { name: 'crop (recompute 64)', options: { contextOverflow: 'crop' } },
  ]);
  rope.dispose();
  const short = new DecoderLM(config, { rng: 7 });
  const generation = await batches(short);
  short.dispose();
  const lever = [...(await levers(1)), ...(await levers(8))];
  return {
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    load: loadavg()[0],
    contexts,
    rolling,
    generation,
    levers: lever,
    leakedTensors: tf.memory().numTensors - before,
  };
}

type Result = Awaited<ReturnType<typeof measure>>;

function markdown(results: Result[], skipped: string[]): string {
  const f = (x: number, digits = 1) => x.toFixed(digits);
  const first = results[0];
  const lines = [
    '## KV-cached decoding (nanoGPT `baby`, issue 17)',
    '',
    `Date: ${first?.date.slice(0, 10) ?? '–'} (UTC). Machine: ${cpus().length} shared vCPU (${cpus()[0]?.model.trim()}), Node ${process.versions.node}; 1-minute load ${results.map((r) => `${r.backend} ${f(r.load)}`).join(', ')}. Config: 4 layers × 4 heads × d 128, \`gelu_tanh\`, greedy, batch 1 unless said. node as the apps' decoding commands start it (oneDNN off, one intra-op thread). Variants run interleaved step by step in one process; medians. Command: \`pnpm --filter @tformer/bench decode --write\`.`,
    ...(results.some((r) => r.load > 2 * cpus().length)
      ? [
          '\nLoad above twice the core count: the ms columns swing with scheduling (neighbouring steps differ by up to 10×); the kernel counts are exact and load-free.',
        ]
      : []),
    ...skipped.map((s) => `\nSkipped: ${s}`),
    '',
  ];
  for (const r of results) {
    lines.push(`### ${r.backend}`, '');
    const names = r.contexts[0]!.rows.map((x) => x.name);
    lines.push(
      table(
        ['context (maxLength 1024 copy)', ...names.map((n) => `${n}: ms/token (kernels)`)],
        r.contexts.map((c) => [
          String(c.context),
          ...names.map((n) => {
            const x = c.rows.find((row) => row.name === n);
            return x ? `${f(x.ms, 2)} (${x.kernels})` : 'not run';
          }),
        ]),
      ),
      '',
    );
    const ms = r.contexts.map((c) => c.rows[0]!.ms);
    lines.push(
      `One-token path, ms/token at the longest context ÷ the shortest: **${f(ms.at(-1)! / ms[0]!, 2)}×**.`,
      '',
      table(
        ['RoPE, maxLength 64, positions ~200', 'ms/token', 'kernels/token'],
        r.rolling.map((x) => [x.name, f(x.ms, 2), String(x.kernels)]),
      ),
      '',
      table(
        ['tokens/s (32 new, greedy)', 'batch 1', 'batch 8', 'batch 8 ÷ batch 1'],
        [
          [
            'one-token path',
            f(r.generation.b1!, 0),
            f(r.generation.b8!, 0),
            `**${f(r.generation.b8! / r.generation.b1!, 2)}×**`,
          ],
          [
            'layer path',
            f(r.generation.b1Layers!, 0),
            f(r.generation.b8Layers!, 0),
            `${f(r.generation.b8Layers! / r.generation.b1Layers!, 2)}×`,
          ],
        ],
      ),
      '',
      table(
        ['lever (one layer), layer path → one-token path', 'batch', 'kernels', 'ms', 'ratio'],
        r.levers.map((l) => [
          l.name,
          String(l.batch),
          `${l.kernels[0]} → ${l.kernels[1]}`,
          `${f(l.ms[0]!, 3)} → ${f(l.ms[1]!, 3)}`,
          `${f(l.ms[1]! / l.ms[0]!, 2)}×`,
        ]),
      ),
      '',
      `Leaked tensors over the whole run: ${r.leakedTensors}.`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** One child process per backend (their kernels and memory never mix), then the report. */
function runAll(): void {
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  const skipped: string[] = [];
  for (const backend of args.backends.split(',')) {
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, self, '--backend', backend, ...process.argv.slice(2)],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const start = run.stdout.indexOf('{');
    if (run.status !== 0 || start < 0) {
      const why = run.stderr.split('\n').find((l) => /Error|error/.test(l)) ?? 'failed';
      skipped.push(`${backend}: ${why.trim().slice(0, 160)}`);
      continue;
    }
    results.push(JSON.parse(run.stdout.slice(start)) as Result);
  }
  const report = markdown(results, skipped);
  console.log(report);
  if (args.write) {
    const doc = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
    writeMarkedSection(doc, 'decode', report);
  }
}

if (args.backend === undefined) runAll();
else console.log(JSON.stringify(await measure(), null, 1));
