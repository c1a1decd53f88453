/**
 * Which product layout is fast for attention's per-head products: q·kᵀ (scores), dS·k (dq) and
 * dSᵀ·q (dk), for N = B·H heads of [T, hs] with T = S. Medians of 5, ms.
 *
 * - batched transposeB: rank-3 `tf.matMul` with transpose flags (what autodiff of a batched
 *   attention does);
 * - batched explicit transpose: rank-3 after `tf.transpose`;
 * - per head, unstack/stack: rank-2 products on `tf.unstack` slices, `tf.stack`ed back;
 * - per head, as the kernels do: q and k split with `tf.gather` (small), the `[T, S]` tensors
 *   made per head (never split), explicit rank-2 transposes, small results concatenated.
 *
 * Run: pnpm --filter @tformer/attention bench:layouts [-- cpu]
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

const perSlice = (a: tf.Tensor, b: tf.Tensor) => {
  const bs = tf.unstack(b);
  return tf.stack(tf.unstack(a).map((x, i) => tf.matMul(x as tf.Tensor2D, bs[i] as tf.Tensor2D)));
};
const tr = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);
const heads = (x: tf.Tensor, n: number) => {
  const flat = tf.reshape(x, [n, -1]);
  return Array.from({ length: n }, (_, i) => tf.reshape(tf.gather(flat, [i], 0), x.shape.slice(1)));
};

console.log(`backend ${backend}: q·kᵀ, dS·k, dSᵀ·q per head, ms median of 5`);
console.log(
  '| N = B·H | T = S | hs | batched transposeB | batched explicit transpose | per head, unstack/stack | per head, as the kernels |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [n, t, d] of [
  [4, 128, 32],
  [4, 512, 32],
  [64, 128, 32],
] as const) {
  const q = tf.randomNormal([n, t, d]);
  const k = tf.randomNormal([n, t, d]);
  const dS = tf.randomNormal([n, t, t]);
  const dSHeads = tf.unstack(dS); // made per head by the kernels, so not part of the timing
  const a = time(() => [
    tf.matMul(q, k, false, true),
    tf.matMul(dS, k),
    tf.matMul(dS, q, true, false),
  ]);
  const b = time(() => [tf.matMul(q, tr(k)), tf.matMul(dS, k), tf.matMul(tr(dS), q)]);
  const c = time(() => [perSlice(q, tr(k)), perSlice(dS, k), perSlice(tr(dS), q)]);
  const e = time(() => {
    const [qs, ks] = [heads(q, n), heads(k, n)];
    const scores = qs.map((x, i) => tf.matMul(x, tf.transpose(ks[i]!)));
    const dq = dSHeads.map((x, i) => tf.matMul(x, ks[i]!));
    const dk = dSHeads.map((x, i) => tf.matMul(tf.transpose(x), qs[i]!));
    return [...scores, tf.concat(dq, 0), tf.concat(dk, 0)];
  });
  console.log(`| ${n} | ${t} | ${d} | ${[a, b, c, e].map((x) => x.toFixed(1)).join(' | ')} |`);
  tf.dispose([q, k, dS, ...dSHeads]);
}
