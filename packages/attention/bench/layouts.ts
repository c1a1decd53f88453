/**
 * Which product layout is fast for attention's per-head products on this machine: rank-3
 * batchMatMul with transposeB, rank-3 after an explicit transpose, or one rank-2 matMul per head.
 * Forward plus the two gradient products (dA = dY·Bᵀ, dB = Aᵀ·dY), medians of 5.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend(backend);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => tf.Tensor[], reps = 5): number {
  tf.dispose(tf.tidy(fn)); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = tf.tidy(fn);
    for (const t of out) t.dataSync();
    ms.push(performance.now() - t0);
    tf.dispose(out);
  }
  return median(ms);
}

const perSlice = (a: tf.Tensor3D, b: tf.Tensor3D) => {
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((x, i) => tf.matMul(x, bs[i]!)));
};
const tr = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);

console.log(`backend ${backend}: q·kᵀ then p·v forward+grad products, ms median of 5`);
console.log(
  '| N=B·H | T=S | hs | batched transposeB | batched explicit transpose | per-head rank-2 |',
);
for (const [n, t, d] of [
  [4, 128, 32],
  [4, 512, 32],
  [64, 128, 32],
] as const) {
  const q = tf.randomNormal([n, t, d]) as tf.Tensor3D;
  const k = tf.randomNormal([n, t, d]) as tf.Tensor3D;
  const dy = tf.randomNormal([n, t, t]) as tf.Tensor3D;
  // scores = q kᵀ; dq = dy k; dk = dyᵀ q
  const a = time(() => [
    tf.matMul(q, k, false, true),
    tf.matMul(dy, k),
    tf.matMul(dy, q, true, false),
  ]);
  const b = time(() => [tf.matMul(q, tr(k)), tf.matMul(dy, k), tf.matMul(tr(dy), q)]);
  const c = time(() => [
    perSlice(q, tr(k) as tf.Tensor3D),
    perSlice(dy, k),
    perSlice(tr(dy) as tf.Tensor3D, q),
  ]);
  console.log(`| ${n} | ${t} | ${d} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${c.toFixed(1)} |`);
  tf.dispose([q, k, dy]);
}
