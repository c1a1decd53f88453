/**
 * Attention forward + backward on wasm at T = 128, 512, 2048 (B = 1, H = 4, hs = 32, causal):
 * the plain kernel (materialises [T, S] per head) vs the memory-efficient one (tiles, online
 * softmax, recomputation in the backward pass). Prints a markdown table: median wall ms, median
 * CPU ms of this process (`process.cpuUsage`: wasm runs on the main thread, so this is the work
 * itself and barely moves when other processes load the machine), and the peak of
 * `tf.memory().numBytes` above the inputs during one step (from `tf.profile`).
 *
 * Run: pnpm --filter @tformer/attention bench [-- cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { scaledDotProductAttention } from '../src/index.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend(backend);
const [B, H, hs] = [1, 4, 32];

const variants = [
  { name: 'plain (per-head kernel)', memoryEfficient: false as const },
  { name: 'memory-efficient, chunk 128', memoryEfficient: { chunkSize: 128 } },
  { name: 'memory-efficient, chunk 256', memoryEfficient: { chunkSize: 256 } },
  { name: 'memory-efficient, chunk 512', memoryEfficient: { chunkSize: 512 } },
];

function step(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  memoryEfficient: false | { chunkSize: number },
) {
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    tf.sum(
      scaledDotProductAttention(a, b, c, {
        causal: true,
        memoryEfficient,
        kernel: memoryEfficient ? 'auto' : 'per-head',
      }),
    ),
  )([q, k, v]);
  for (const g of grads) g.dataSync(); // wait for the work
  tf.dispose(grads);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(
  `backend ${backend}, B=${B}, H=${H}, hs=${hs}, causal, forward + backward w.r.t. q, k, v`,
);
console.log(
  '| T = S | kernel | wall ms (median) | CPU ms (median) | runs | peak MiB above inputs |',
);
console.log('|---|---|---|---|---|---|');
for (const T of [128, 512, 2048]) {
  const q = tf.randomNormal([B, H, T, hs]);
  const k = tf.randomNormal([B, H, T, hs]);
  const v = tf.randomNormal([B, H, T, hs]);
  const runs = T >= 2048 ? 3 : 5;
  for (const { name, memoryEfficient } of variants) {
    if (memoryEfficient && memoryEfficient.chunkSize >= T) continue; // same as one chunk
    step(q, k, v, memoryEfficient); // warm-up
    const [wall, cpu] = [[] as number[], [] as number[]];
    for (let r = 0; r < runs; r++) {
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      step(q, k, v, memoryEfficient);
      const used = process.cpuUsage(c0);
      wall.push(performance.now() - t0);
      cpu.push((used.user + used.system) / 1000);
    }
    const base = tf.memory().numBytes;
    const profile = await tf.profile(() => step(q, k, v, memoryEfficient));
    console.log(
      `| ${T} | ${name} | ${median(wall).toFixed(0)} | ${median(cpu).toFixed(0)} | ${runs} | ${mib(profile.peakBytes - base)} |`,
    );
  }
  tf.dispose([q, k, v]);
}
