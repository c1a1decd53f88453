/**
 * What hook points cost: DecoderLM forward passes (eval mode, ids → logits read back) timed as this
 * process's CPU time, median of 15 after 10 warm-ups. Run it here and on a checkout from before the
 * hooks to compare "compiled in, unused" with "not there"; here it also times runs with hooks.
 *
 * Run: pnpm --filter @tformer/model exec tsx --tsconfig tsconfig.json bench/hooks.ts [wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { DecoderLM, type DecoderLMConfig } from '../src/index.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend(backend);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

const shapes: { name: string; config: DecoderLMConfig; batch: number }[] = [
  {
    name: 'textgen default 2×4×64, T 64, B 16',
    config: { vocabSize: 96, maxLength: 64, numLayers: 2, numHeads: 4, dModel: 64 },
    batch: 16,
  },
  {
    name: '4×4×128, T 128, B 8',
    config: { vocabSize: 256, maxLength: 128, numLayers: 4, numHeads: 4, dModel: 128 },
    batch: 8,
  },
];

for (const { name, config, batch } of shapes) {
  const model = new DecoderLM(config, { rng: 0 });
  model.eval();
  const ids = tf.randomUniformInt([batch, config.maxLength], 0, config.vocabSize, 1) as tf.Tensor2D;
  const keep: tf.Tensor[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: the baseline checkout has no `hooks` option.
  const run = (call: any) => () => {
    const logits = model.apply(ids, call);
    logits.dataSync();
    logits.dispose();
    tf.dispose(keep.splice(0)); // what a caller's cache would free
  };
  const modes: [string, unknown][] = [['no hooks', {}]];
  if ('hookPoints' in model) {
    const points = (model as unknown as { hookPoints(): string[] }).hookPoints();
    const read = (t: tf.Tensor) => void keep.push(tf.keep(t.clone()));
    modes.push([
      'hooks: one no-op (residPost of block 0)',
      { hooks: { 'blocks.0.residPost': () => {} } },
    ]);
    modes.push([
      'hooks: cache every attn.weights',
      {
        hooks: Object.fromEntries(
          points.filter((p) => p.endsWith('attn.weights')).map((p) => [p, read]),
        ),
      },
    ]);
    modes.push([
      'hooks: cache every point',
      { hooks: Object.fromEntries(points.map((p) => [p, read])) },
    ]);
    modes.push(['no hooks (again)', {}]);
  }
  for (const [mode, call] of modes) {
    const step = run(call);
    for (let i = 0; i < 10; i++) step();
    const times = Array.from({ length: 15 }, () => cpuMs(step));
    console.log(`${backend}\t${name}\t${mode}\t${median(times).toFixed(2)} ms`);
  }
  ids.dispose();
  model.dispose();
}
