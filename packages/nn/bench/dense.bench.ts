/**
 * Dense on [B, T, C] vs a bare rank-2 tf.matMul of the same size, forward and forward+backward,
 * in GFLOP/s, medians of repeated runs in one process. Run: `pnpm bench` in packages/nn
 * (`tsx bench/dense.bench.ts [cpu|wasm ...]`). Prints a markdown table.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { Dense, linear } from '@tformer/nn';

interface Size {
  b: number;
  t: number;
  cin: number;
  cout: number;
}

const SIZES: Record<BackendName, Size[]> = {
  // cpu is plain JS (~0.7 GFLOP/s): tiny sizes only.
  cpu: [
    { b: 2, t: 32, cin: 64, cout: 256 },
    { b: 2, t: 32, cin: 256, cout: 64 },
  ],
  wasm: [
    { b: 16, t: 128, cin: 128, cout: 512 },
    { b: 16, t: 128, cin: 512, cout: 128 },
  ],
} as Record<BackendName, Size[]>;

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARMUP = 2;

/**
 * Median milliseconds of each function, measured round-robin (one run of each in turn) so that
 * load from other processes on a shared machine hits every candidate alike.
 */
async function medians(fns: (() => tf.Tensor[])[]): Promise<number[]> {
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      const outs = tf.tidy(fn);
      await Promise.all(outs.map((o) => o.data()));
      const ms = performance.now() - start;
      tf.dispose(outs);
      if (i >= WARMUP) samples[k]!.push(ms);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!);
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

async function benchBackend(backend: BackendName): Promise<string[]> {
  await selectBackend(backend);
  const rows: string[] = [];
  for (const { b, t, cin, cout } of SIZES[backend] ?? []) {
    const m = b * t;
    const flops = 2 * m * cin * cout;
    const dense = new Dense({ inputDim: cin, outputDim: cout, rng: 1 });
    const x3 = rand([b, t, cin], 2);
    const x2 = tf.reshape(x3, [m, cin]) as tf.Tensor2D;
    const w = dense.kernel as unknown as tf.Tensor2D;
    const r3 = rand([b, t, cout], 3);
    const r2 = tf.reshape(r3, [m, cout]);
    const dy = r2 as tf.Tensor2D; // the upstream gradient dY

    const [bareFwd, denseFwd] = await medians([() => [tf.matMul(x2, w)], () => [dense.apply(x3)]]);
    // Backward passes get the upstream gradient dY directly (a vector-Jacobian product), so
    // no loss scaffolding is timed. The bare reference for fwd+bwd is the three products a
    // backward pass needs, as plain non-transposed rank-2 matMuls with operands already laid
    // out: the speed to aim at.
    const xT = tf.transpose(x2) as tf.Tensor2D;
    const wT = tf.transpose(w) as tf.Tensor2D;
    const bareThree = (): tf.Tensor[] => [tf.matMul(x2, w), tf.matMul(dy, wT), tf.matMul(xT, dy)];
    // tfjs' own gradient of tf.matMul (transposed operands) on the same rank-2 problem.
    const tfjsGrad = (): tf.Tensor[] => {
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, k: tf.Tensor) =>
        tf.matMul(a as tf.Tensor2D, k as tf.Tensor2D),
      )([x2, w], dy);
      return [value, ...grads];
    };
    // Dense: forward on [B, T, C] and gradients for x, kernel and bias in one pass.
    const denseStep = (): tf.Tensor[] => {
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor, k: tf.Tensor, bias: tf.Tensor) =>
        linear(x, k, bias),
      )([x3, dense.kernel, dense.bias!], r3);
      return [value, ...grads];
    };
    const [bareBwd, tfjsBwd, denseBwd] = await medians([bareThree, tfjsGrad, denseStep]);
    const gf = (f: number, ms: number) => (f / ms / 1e6).toFixed(2);
    const shape = `[${b}, ${t}, ${cin}] → ${cout}`;
    rows.push(
      `| ${backend} | ${shape} | fwd | ${gf(flops, bareFwd)} | ${gf(flops, denseFwd)} | ${(bareFwd / denseFwd).toFixed(2)} | — |`,
      `| ${backend} | ${shape} | fwd+bwd | ${gf(3 * flops, bareBwd)} | ${gf(3 * flops, denseBwd)} | ${(bareBwd / denseBwd).toFixed(2)} | ${gf(3 * flops, tfjsBwd)} |`,
    );
    tf.dispose([x3, x2, r3, r2, xT, wT]);
    dense.dispose();
  }
  return rows;
}

const backends = (
  process.argv.slice(2).length ? process.argv.slice(2) : ['cpu', 'wasm']
) as BackendName[];
const rows: string[] = [];
for (const backend of backends) rows.push(...(await benchBackend(backend)));
console.log(
  [
    `Dense vs bare rank-2 tf.matMul, GFLOP/s (median of ${RUNS} runs after ${WARMUP} warm-up, candidates interleaved; flops = 2·M·in·out per product, 3 products for fwd+bwd)`,
    '',
    '| backend | x → out | pass | bare rank-2 tf.matMul | Dense | Dense / bare | plain tf.matMul + its gradient |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
