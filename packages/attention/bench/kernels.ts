/**
 * Per-head vs batched exact kernels, forward + backward w.r.t. q, k, v on wasm, causal, over
 * shapes from many small heads to few long ones: where `kernel: 'auto'` should switch, and (from
 * 2¹³) where wasm's batched kernel takes depthwise-convolution products. Reports
 * the CPU time of this process (median of 5).
 *
 * Run: pnpm --filter @tformer/attention bench:kernels [-- cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { scaledDotProductAttention } from '../src/index.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend(backend);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, kernel: 'per-head' | 'batched'): number {
  const step = () => {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(scaledDotProductAttention(a, b, c, { causal: true, kernel })),
    )([q, k, v]);
    for (const g of grads) g.dataSync();
    tf.dispose(grads);
  };
  step();
  // CPU time of this process: wasm runs on the main thread, so it is the work itself, which
  // other processes' load barely moves (wall time on this shared machine varies 2x).
  const ms: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    step();
    const used = process.cpuUsage(c0);
    ms.push((used.user + used.system) / 1000);
  }
  return median(ms);
}

console.log(`backend ${backend}, causal, forward + backward, CPU ms, median of 5`);
console.log('| B | H | T = S | hs | T·S·2hs | per-head | batched |');
console.log('|---|---|---|---|---|---|---|');
for (const [B, H, T, hs] of [
  [32, 4, 10, 8],
  [16, 4, 16, 8],
  [16, 4, 16, 16],
  [16, 4, 32, 16],
  [12, 4, 64, 32],
  [4, 4, 64, 64],
  [4, 4, 128, 32],
  [1, 4, 256, 32],
  [2, 8, 512, 32],
] as const) {
  const [q, k, v] = [0, 1, 2].map(() => tf.randomNormal([B, H, T, hs]));
  const perHead = time(q!, k!, v!, 'per-head');
  const batched = time(q!, k!, v!, 'batched');
  console.log(
    `| ${B} | ${H} | ${T} | ${hs} | ${T * T * 2 * hs} | ${perHead.toFixed(0)} | ${batched.toFixed(0)} |`,
  );
  tf.dispose([q!, k!, v!]);
}
