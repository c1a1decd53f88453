/**
 * Cost of one optimizer update for the parameters of the small decoder of docs/tfjs-facts.md (d 128, 4 layers,
 * ≈ 0.8M parameters): this package's AdamW (moments in place, bias correction folded into host
 * scalars) against tfjs-core's built-in `tf.train.adam`. Median ms per update over 20 updates
 * after 3 warm-up updates. Usage: `pnpm bench [cpu|wasm]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../backend/src/index.js';
import { AdamW } from '../src/index.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend(backend);

const d = 128;
const shapes: [string, number[]][] = [['tokenEmbedding.table', [65, d]]];
for (let l = 0; l < 4; l++) {
  shapes.push(
    [`blocks.${l}.ln1.gamma`, [d]],
    [`blocks.${l}.attn.qkv.kernel`, [d, 3 * d]],
    [`blocks.${l}.attn.qkv.bias`, [3 * d]],
    [`blocks.${l}.attn.proj.kernel`, [d, d]],
    [`blocks.${l}.ln2.gamma`, [d]],
    [`blocks.${l}.mlp.up.kernel`, [d, 4 * d]],
    [`blocks.${l}.mlp.down.kernel`, [4 * d, d]],
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function makeParams(): [string, tf.Variable][] {
  return shapes.map(([name, shape]) => [
    name,
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.02))),
  ]);
}

function time(update: (grads: tf.NamedTensorMap) => void, params: [string, tf.Variable][]): number {
  const grads: tf.NamedTensorMap = {};
  for (const [, v] of params) grads[v.name] = tf.randomNormal(v.shape, 0, 1e-3);
  const ms: number[] = [];
  for (let i = 0; i < 23; i++) {
    const t0 = performance.now();
    update(grads);
    params[params.length - 1]![1].dataSync(); // wait for the backend
    if (i >= 3) ms.push(performance.now() - t0);
  }
  tf.dispose(grads);
  return median(ms);
}

const count = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
const ours = makeParams();
const adamw = new AdamW(ours, { weightDecay: 0.1 });
const oursMs = time((g) => adamw.step(g, 1e-3), ours);
const theirs = makeParams();
const tfAdam = tf.train.adam(1e-3);
const tfMs = time(
  (g) => tfAdam.applyGradients(Object.entries(g).map(([name, tensor]) => ({ name, tensor }))),
  theirs,
);
console.log(
  `backend ${backend}, ${shapes.length} tensors, ${(count / 1e6).toFixed(2)}M parameters`,
);
console.log('| optimizer | ms / update |');
console.log('|---|---|');
console.log(`| @tformer/train AdamW (decoupled decay) | ${oursMs.toFixed(1)} |`);
console.log(`| tf.train.adam (no decay) | ${tfMs.toFixed(1)} |`);
