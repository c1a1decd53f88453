/**
 * The attention variants of a DecoderLM compared on one task: full MHA against grouped-query
 * (2 and 1 KV heads), sliding windows, the four position schemes and the memory-efficient kernel,
 * all at the teacher's size, trained the same steps from the same seed and data order.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import { type CharLMBench, fmt, lastLoss } from './char-lm.js';
import { section, table } from './efficiency-report.js';
import { type ChartPoint, renderChartSvg } from './plots.js';

export interface VariantOptions {
  base: DecoderLMConfig;
  steps: number;
  /** Decoding contexts at which generation speed is measured. */
  contexts: readonly number[];
  doc: string;
  log: (line: string) => void;
}

/** Each variant: a label and what it changes in the base configuration. */
const VARIANTS: readonly [string, Partial<DecoderLMConfig>][] = [
  ['MHA, learned positions', {}],
  ['GQA, 2 KV heads', { numKeyValueHeads: 2 }],
  ['MQA, 1 KV head', { numKeyValueHeads: 1 }],
  ['sliding window 32', { window: 32 }],
  ['sliding window 16', { window: 16 }],
  ['sinusoidal positions', { position: 'sinusoidal' }],
  ['RoPE', { position: 'rope' }],
  ['ALiBi', { position: 'alibi' }],
  ['memory-efficient kernel', { memoryEfficient: true }],
];

/** Median ms per generated token with the KV cache, from a `context − 16`-token prompt. */
async function msPerToken(config: DecoderLMConfig, context: number): Promise<number> {
  const NEW = 16;
  // A model long enough for the context; its weights do not matter for speed.
  const model = new DecoderLM({ ...config, maxLength: context }, { rng: 9 });
  model.eval();
  const prompt = Array.from({ length: context - NEW }, (_, i) => (i * 7) % config.vocabSize);
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t0 = 0;
    for await (const { step } of generateStream(model, [prompt], { maxNewTokens: NEW })) {
      // The first step also runs the prompt: time the single-token steps after it.
      if (step === 0) t0 = performance.now();
    }
    runs.push((performance.now() - t0) / (NEW - 1));
  }
  model.dispose();
  return runs.sort((a, b) => a - b)[1]!;
}

export async function attentionVariants(bench: CharLMBench, o: VariantOptions): Promise<string> {
  const rows: string[][] = [];
  const points: ChartPoint[] = [];
  for (const [label, extra] of VARIANTS) {
    const config = { ...o.base, ...extra };
    const model = new DecoderLM(config, { rng: 1 });
    const c = model.config;
    const kvBytes = c.numLayers * 2 * c.numKeyValueHeads * c.headSize * 4;
    const parameters = model.parameterCount();
    const run = await bench.train(model, o.steps, 1);
    model.dispose();
    const loss = lastLoss(run.curve);
    const speeds = [];
    for (const context of o.contexts) speeds.push(1000 / (await msPerToken(config, context)));
    rows.push([
      label,
      parameters.toLocaleString('en'),
      kvBytes.toLocaleString('en'),
      Math.round(run.tokensPerS).toLocaleString('en'),
      ...speeds.map((s) => s.toFixed(0)),
      fmt(loss),
    ]);
    points.push({ x: run.tokensPerS, y: loss, series: label });
    o.log(`${label}: val ${fmt(loss)}, ${Math.round(run.tokensPerS)} train tokens/s`);
  }
  writeFileSync(
    join(dirname(o.doc), 'efficiency-variants.svg'),
    await renderChartSvg(points, {
      title: `attention variants: validation loss after ${o.steps} steps against training speed`,
      x: { title: 'training tokens/s' },
      y: { title: 'mean cross-entropy (nats/char)' },
      mark: 'point',
    }),
  );
  return section(
    'Attention variants',
    `The teacher's size (\`baby\` 4×4×128, context ${o.base.maxLength}), each trained ${o.steps} steps from seed 1 on the same batches. KV bytes/token: the cache's float32 keys and values per generated token, all layers (2 · layers · KV heads · head size · 4); a sliding window keeps them too (the cache is not rolling), it only attends to fewer. Generation: batch 1, greedy, KV cache, median ms of the single-token steps after a prompt of context − 16 tokens (untrained weights of the same shape, maxLength = the context). Window 64 is absent: at context 64 it is the full attention of the first row. Plot: [efficiency-variants.svg](efficiency-variants.svg).`,
    table(
      [
        'variant',
        'parameters',
        'KV bytes/token',
        'train tokens/s',
        ...o.contexts.map((t) => `gen tokens/s @${t}`),
        'val loss',
      ],
      rows,
    ),
  );
}
