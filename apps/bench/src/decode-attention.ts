/**
 * One decoding step's attention on the wasm backend (or `--backend`), alone: a new query of
 * `[B, H, 1, d]` against S cached keys/values (H 4, d 32: the `baby` config's layers), with each
 * way of writing it in tfjs ops that a cache layout allows, and the cost of appending one position
 * to `[B, H, S, d]` (the cache's `tf.concat`). Every iteration gets new cache tensors (as a growing
 * cache does), so backends that pack an operand per tensor (tfjs-wasm's XNNPACK products) pay for
 * it as in decoding. Variants run interleaved, medians; each checked against today's path.
 *
 * - heads: today's path (decode-step.ts): q·Kᵀ and Vᵀ·Pᵀ as batched products over B·H.
 * - rows (B 1): keys kept `[H·d, S]`, values `[S, H·d]`; the query's heads on a block diagonal
 *   `[H, H·d]`: two rank-2 products (XNNPACK on wasm, which packs the cached operand).
 * - flip (B 1): keys `[S, H·d]`, values `[H·d, S]` as the products' first operand (not packed),
 *   the block-diagonal query/probabilities second; transposes around the softmax.
 * - depthwise: keys and values `[S, d, B·H]` as the input of `tf.depthwiseConv2d`, the query and
 *   the probabilities as its filter.
 * - mul+sum: broadcast multiplies and sums.
 *
 * First, the whole one-token step of the `baby` model (`maxLength` 1024 copy, greedy, batch 1) at
 * each context, the contexts' generations alive together and stepped in turn (so warm-up and load
 * fall on all alike): ms per token, and the kernel time per token by kind from `tf.profile`
 * (median per kernel over the profiled steps), which shows what grows with the context.
 *
 * Usage: pnpm --filter @tformer/bench decode-attention [--backend wasm] [--contexts 64,256,1024]
 *   [--runs 40] [--tokens 24]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import { launchedKernels } from './kernel-count.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    contexts: { type: 'string', default: '64,256,1024' },
    runs: { type: 'string', default: '40' },
    tokens: { type: 'string', default: '24' },
  },
});
await selectBackend(args.backend as BackendName);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [H, d] = [4, 32];
const C = H * d;

/** Kernel classes of a step: attention products (rank 4) apart from the weight products. */
function kind(name: string, shapes: number[][]): string {
  if (name !== 'BatchMatMul') return name;
  return shapes[0]!.length === 4 ? 'BatchMatMul (attention)' : 'BatchMatMul (weights)';
}

/** ms/token and kernel ms/token by kind at each context, the contexts stepped in turn. */
async function wholeStep(contexts: number[], tokens: number) {
  const model = new DecoderLM(
    { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh', maxLength: 1024 },
    { rng: 7 },
  );
  const streams = contexts.map((context) =>
    generateStream(model, [Array.from({ length: context - tokens }, (_, i) => (i * 13) % 65)], {
      maxNewTokens: tokens,
      doSample: false,
    }),
  );
  for (const s of streams) await s.next(); // the prompts
  const ms = contexts.map((): number[] => []);
  const kernels = contexts.map((): Record<string, number[]> => ({}));
  for (let i = 1; i < tokens - 1; i++) {
    for (const [c, s] of streams.entries()) {
      if (i % 4 === 3) {
        const info = await tf.profile(async () => {
          await s.next();
        });
        const step: Record<string, number> = {};
        for (const k of launchedKernels(info.kernels)) {
          const key = kind(k.name, k.inputShapes);
          step[key] = (step[key] ?? 0) + (k.kernelTimeMs as number);
        }
        for (const [key, t] of Object.entries(step)) (kernels[c]![key] ??= []).push(t);
      } else {
        const t0 = performance.now();
        await s.next();
        ms[c]!.push(performance.now() - t0);
      }
    }
  }
  for (const s of streams) await s.return(undefined);
  model.dispose();
  const kinds = ['BatchMatMul (attention)', 'Concat', 'Softmax', 'BatchMatMul (weights)'];
  console.log(`| context | ms/token | kernel ms/token | ${kinds.join(' | ')} | other kernels |`);
  console.log(`|---:|---:|---:|${kinds.map(() => '---:|').join('')}---:|`);
  contexts.forEach((context, c) => {
    const byKind = Object.fromEntries(Object.entries(kernels[c]!).map(([k, v]) => [k, median(v)]));
    const total = Object.values(byKind).reduce((a, b) => a + b, 0);
    const listed = kinds.map((k) => byKind[k] ?? 0);
    const other = total - listed.reduce((a, b) => a + b, 0);
    const cells = [...listed, other].map((x) => x.toFixed(3));
    console.log(
      `| ${context} | ${median(ms[c]!).toFixed(2)} | ${total.toFixed(3)} | ${cells.join(' | ')} |`,
    );
  });
  console.log('');
}

/** The cache of one layer in each layout (made outside the timed region, new every run). */
function layouts(K: tf.Tensor4D, V: tf.Tensor4D) {
  const [B, , S] = K.shape;
  const base = {
    K: tf.add(K, 0) as tf.Tensor4D, // [B, H, S, d]
    V: tf.add(V, 0) as tf.Tensor4D,
    keysSDN: tf.reshape(tf.transpose(K, [2, 3, 0, 1]), [1, S, d, B * H]) as tf.Tensor4D, // [1, S, d, B·H]
    valuesSDN: tf.reshape(tf.transpose(V, [2, 3, 0, 1]), [1, S, d, B * H]) as tf.Tensor4D,
  };
  if (B > 1)
    return base as typeof base &
      Partial<Record<'keys' | 'keysT' | 'values' | 'valuesT', tf.Tensor2D>>;
  return {
    ...base,
    keys: tf.reshape(tf.transpose(K, [0, 2, 1, 3]), [S, C]) as tf.Tensor2D, // [S, H·d]
    keysT: tf.reshape(tf.transpose(K, [0, 1, 3, 2]), [C, S]) as tf.Tensor2D, // [H·d, S]
    values: tf.reshape(tf.transpose(V, [0, 2, 1, 3]), [S, C]) as tf.Tensor2D, // [S, H·d]
    valuesT: tf.reshape(tf.transpose(V, [0, 1, 3, 2]), [C, S]) as tf.Tensor2D, // [H·d, S]
  };
}
type Cache = ReturnType<typeof layouts>;

/** 1 on head h's block of `[H, H·d]`, 0 elsewhere. */
const blocks = tf.tensor2d(
  Float32Array.from({ length: H * C }, (_, i) =>
    Math.floor((i % C) / d) === Math.floor(i / C) ? 1 : 0,
  ),
  [H, C],
);
const blocksT = tf.transpose(blocks); // [H·d, H]

/** Each variant: the output `[B, H·d]` of query `q` `[B, H, 1, d]` over the cache. */
function variants(B: number, S: number): Record<string, (q: tf.Tensor4D, c: Cache) => tf.Tensor> {
  const N = B * H;
  const all: Record<string, (q: tf.Tensor4D, c: Cache) => tf.Tensor> = {
    heads: (q, c) =>
      tf.reshape(tf.matMul(c.V, tf.softmax(tf.matMul(q, c.K, false, true)), true, true), [B, C]),
    depthwise: (q, c) => {
      const filter = tf.reshape(tf.transpose(q, [3, 0, 1, 2]), [1, d, N, 1]); // [1, d, B·H, 1]
      const scores = tf.reshape(tf.depthwiseConv2d(c.keysSDN, filter as tf.Tensor4D, 1, 'valid'), [
        S,
        N,
      ]);
      const p = tf.reshape(tf.transpose(tf.softmax(tf.transpose(scores))), [S, 1, N, 1]); // [S, 1, B·H, 1]
      const out = tf.depthwiseConv2d(c.valuesSDN, p as tf.Tensor4D, 1, 'valid'); // [1, 1, d, B·H]
      return tf.reshape(tf.transpose(tf.reshape(out, [d, N])), [B, C]);
    },
    'mul+sum': (q, c) => {
      const p = tf.softmax(tf.sum(tf.mul(q, c.K), -1)); // [B, H, S]
      return tf.reshape(tf.sum(tf.mul(tf.expandDims(p, -1), c.V), 2), [B, C]);
    },
  };
  if (B > 1) return all;
  return {
    ...all,
    rows: (q, c) => {
      const scores = tf.matMul(tf.mul(tf.reshape(q, [1, C]), blocks), c.keysT!); // [H, S]
      return tf.sum(tf.mul(tf.matMul(tf.softmax(scores), c.values!), blocks), 0, true); // [1, H·d]
    },
    flip: (q, c) => {
      const scores = tf.matMul(c.keys!, tf.mul(tf.reshape(q, [C, 1]), blocksT)); // [S, H]
      const p = tf.transpose(tf.softmax(tf.transpose(scores))); // [S, H]
      return tf.reshape(tf.sum(tf.mul(tf.matMul(c.valuesT!, p), blocksT), 1, true), [1, C]);
    },
  };
}

const contexts = args.contexts.split(',').map(Number);
console.log(
  `backend ${tf.getBackend()}, ${new Date().toISOString()}, 1-minute load ${loadavg()[0]!.toFixed(1)}\n`,
);
await wholeStep(contexts, Number(args.tokens));
const rows: string[] = [];
const runs = Number(args.runs);
for (const B of [1, 8]) {
  for (const S of contexts) {
    const [q, K, V] = [
      tf.randomNormal([B, H, 1, d], 0, 1 / Math.sqrt(d)) as tf.Tensor4D,
      tf.randomNormal([B, H, S, d]) as tf.Tensor4D,
      tf.randomNormal([B, H, S, d]) as tf.Tensor4D,
    ];
    const step = tf.randomNormal([B, H, 1, d]);
    const ways = variants(B, S);
    const expected = tf.tidy(() => ways.heads!(q, layouts(K, V)));
    const want = await expected.data();
    const ms: Record<string, number[]> = {};
    const error: Record<string, number> = {};
    for (let r = 0; r < runs; r++) {
      for (const [name, f] of [...Object.entries(ways), ['append (concat)', null] as const]) {
        const cache = tf.tidy(() => layouts(K, V));
        const t0 = performance.now();
        const out = tf.tidy(() => (f ? f(q, cache) : tf.concat([cache.K, step], 2)));
        (ms[name] ??= []).push(performance.now() - t0); // wasm kernels run synchronously
        if (f && r === 0) {
          const got = await out.data();
          error[name] = Math.max(...Array.from(got, (x, i) => Math.abs(x - want[i]!)));
        }
        tf.dispose([out, ...(Object.values(cache) as tf.Tensor[])]);
      }
    }
    const cells = Object.entries(ms).map(
      ([name, xs]) =>
        `${name} ${median(xs).toFixed(3)}${error[name]! > 1e-5 ? ` (error ${error[name]})` : ''}`,
    );
    rows.push(`| ${B} | ${S} | ${cells.join(' · ')} |`);
    tf.dispose([q, K, V, step, expected]);
  }
}
console.log(
  `One layer's attention alone (ms, medians of ${runs}; load now ${loadavg()[0]!.toFixed(1)}):\n`,
);
console.log('| B | S | ms (one layer) |\n|---:|---:|---|');
console.log(rows.join('\n'));
