/**
 * Batched against one-sentence-at-a-time translation (issue 17): a small encoder-decoder is
 * trained on a generated task (reverse a sequence of 3–20 of 1,000 symbols, each mapped to another), then
 * translates ~1,000 held-out sources greedily and with beam 4, the way `tformer-translate`
 * evaluated before (one `beamSearchEncoderDecoder` call per sentence) and the way it does now
 * (`beamSearchEncoderDecoderBatch`, sources batched by length). Rounds are interleaved; the table
 * gives medians of wall time and new tokens per second, and checks that both paths translate
 * every sentence identically. Run: `pnpm --filter @tformer/bench translate-batch`
 * (`--backend cpu|wasm`, `--pairs`, `--batch`, `--rounds`, `--steps`; `--doc` to write
 * docs/benchmarks.md's section). On a checkout without the batched function it times the
 * one-at-a-time path only (to measure an older `main` with the same script).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import * as model from '@tformer/model';
import { CONFIG_FILE } from '@tformer/model';
import * as generation from '@tformer/model/generate';
import { loadModel, saveModel } from '@tformer/model/node';
import { createRng } from '@tformer/nn';
import { AdamW, crossEntropy } from '@tformer/train';
import { benchClock, writeMarkedSection } from './efficiency-report.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    pairs: { type: 'string', default: '1000' },
    'unbatched-pairs': { type: 'string', default: '200' },
    batch: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '400' },
    symbols: { type: 'string', default: '100' },
    model: { type: 'string' },
    doc: { type: 'string' },
  },
});
const [PAD, BOS, EOS, SPECIALS, MAX_LENGTH] = [0, 1, 2, 3, 32];
const SYMBOLS = Number(args.symbols);
const clock = benchClock();
const { log } = clock;
const selection = await selectBackend(args.backend as BackendName);

/**
 * A source of 3–15 symbols and its translation: each symbol s becomes g(s) = 7s mod SYMBOLS, and
 * every fourth symbol two tokens (g(s), g(s + 1)), so targets are 1–2× as long as their sources.
 */
function pair(rng: ReturnType<typeof createRng>): { src: number[]; tgt: number[] } {
  const length = 3 + Math.floor(rng.uniform() * 13);
  const symbols = Array.from({ length }, () => Math.floor(rng.uniform() * SYMBOLS));
  const g = (s: number) => SPECIALS + ((7 * s) % SYMBOLS);
  const tgt = symbols.flatMap((s) => (s % 4 === 0 ? [g(s), g(s + 1)] : [g(s)]));
  return { src: [...symbols.map((s) => SPECIALS + s), EOS], tgt };
}

const padded = (rows: number[][], width: number) =>
  tf.tensor2d(
    rows.flatMap((r) => [...r, ...new Array<number>(width - r.length).fill(PAD)]),
    [rows.length, width],
    'int32',
  );

/** Teacher-forced training on fresh pairs each step (AdamW 3e-3 after 100 warmup steps, batch 32). */
async function trainModel(steps: number): Promise<model.EncoderDecoder> {
  const m = new model.EncoderDecoder(
    {
      srcVocabSize: SPECIALS + SYMBOLS,
      tgtVocabSize: SPECIALS + SYMBOLS,
      numLayers: 2,
      numHeads: 4,
      dModel: 64,
      dFF: 256,
      dropout: 0,
      maxLength: MAX_LENGTH,
      padTokenId: PAD,
    },
    { rng: 1 },
  );
  const optimizer = new AdamW(m.namedParameters(), { weightDecay: 0 });
  const params = m.trainableParameters();
  const rng = createRng(2);
  let loss = Number.NaN;
  for (let step = 1; step <= steps; step++) {
    const batch = Array.from({ length: 32 }, () => pair(rng));
    const T = Math.max(...batch.map((p) => p.tgt.length)) + 1;
    const [src, tgtIn, tgtOut] = [
      padded(
        batch.map((p) => p.src),
        Math.max(...batch.map((p) => p.src.length)),
      ),
      padded(
        batch.map((p) => [BOS, ...p.tgt]),
        T,
      ),
      padded(
        batch.map((p) => [...p.tgt, EOS]),
        T,
      ),
    ];
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(m.apply(src, tgtIn), tgtOut, { ignoreIndex: PAD }),
      params,
    );
    optimizer.step(grads, 3e-3 * Math.min(1, step / 100)); // linear warmup (post-LN)
    if (step % 100 === 0 || step === steps) {
      loss = (await value.data())[0]!;
      log(`train step ${step}/${steps}: loss ${loss.toFixed(3)}`);
    }
    tf.dispose([src, tgtIn, tgtOut, value, ...Object.values(grads)]);
  }
  optimizer.dispose();
  return m;
}

interface Timing {
  seconds: number;
  tokens: number;
  outputs: number[][];
}

/** Translates every source, one call per sentence (the app before) or in length-sorted batches. */
async function translateAll(
  m: model.EncoderDecoder,
  sources: number[][],
  numBeams: number,
  batch: number | undefined,
): Promise<Timing> {
  const opts = { startToken: BOS, numBeams, maxNewTokens: MAX_LENGTH - 1, stopTokens: [EOS] };
  const outputs: number[][] = new Array(sources.length);
  const t0 = performance.now();
  if (batch === undefined) {
    for (const [i, s] of sources.entries()) {
      outputs[i] = (await generation.beamSearchEncoderDecoder(m, s, opts))[0]!.tokens;
    }
  } else {
    const order = sources.map((_, i) => i).sort((a, b) => sources[a]!.length - sources[b]!.length);
    for (let at = 0; at < order.length; at += batch) {
      const rows = order.slice(at, at + batch);
      const found = await batchedSearch!(
        m,
        rows.map((i) => sources[i]!),
        opts,
      );
      rows.forEach((i, k) => {
        outputs[i] = found[k]![0]!.tokens;
      });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, tokens: outputs.reduce((n, o) => n + o.length, 0), outputs };
}

// Absent on checkouts from before batching: then only the one-at-a-time path runs.
const batchedSearch = (generation as Partial<typeof generation>).beamSearchEncoderDecoderBatch;
// `--model DIR`: the trained model is saved there and reused (the same model for every run).
const m = (
  args.model && existsSync(join(args.model, CONFIG_FILE))
    ? await loadModel(args.model)
    : await trainModel(Number(args.steps))
) as model.EncoderDecoder;
if (args.model && !existsSync(join(args.model, CONFIG_FILE))) await saveModel(args.model, m);
const rng = createRng(99);
const held = Array.from({ length: Number(args.pairs) }, () => pair(rng));
const sources = held.map((p) => p.src);
const batch = Number(args.batch);
const paths = batchedSearch ? [undefined, batch] : [undefined];
const results = new Map<string, Timing[]>();
// One sentence at a time is slow: it translates the first `--unbatched-pairs` sources only (a
// random sample of the same distribution) and is compared by tokens/s.
const unbatched = sources.slice(0, Number(args['unbatched-pairs']));
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const beams of [1, 4]) {
    for (const path of paths) {
      const before = tf.memory().numTensors;
      const timing = await translateAll(m, path ? sources : unbatched, beams, path);
      if (tf.memory().numTensors !== before) throw new Error('tensors leaked while decoding');
      const key = `${beams}:${path ?? 1}`;
      results.set(key, [...(results.get(key) ?? []), timing]);
      log(
        `round ${round}, beam ${beams}, batch ${path ?? 1}: ${timing.seconds.toFixed(1)} s, ${(timing.tokens / timing.seconds).toFixed(0)} tokens/s`,
      );
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const rate = (t: Timing) => t.tokens / t.seconds;
const same = (a: number[][], b: number[][]) =>
  a.every((o, i) => JSON.stringify(o) === JSON.stringify(b[i]));
const rows: string[] = [];
for (const beams of [1, 4]) {
  const one = results.get(`${beams}:1`)!;
  const oneRate = median(one.map(rate));
  for (const path of paths) {
    const timings = results.get(`${beams}:${path ?? 1}`)!;
    const n = timings[0]!.outputs.length;
    const tokensPerS = median(timings.map(rate));
    const exact = timings[0]!.outputs.filter(
      (o, i) => JSON.stringify(o) === JSON.stringify([...held[i]!.tgt, EOS]),
    ).length;
    rows.push(
      `| ${beams === 1 ? 'greedy (beam 1)' : `beam ${beams}`} | ${path === undefined ? 'one sentence at a time' : `batches of ${path}`} | ${n} | ${median(timings.map((t) => t.seconds)).toFixed(1)} | ${(median(timings.map((t) => t.seconds / n)) * 1000).toFixed(0)} | ${tokensPerS.toFixed(0)} | ${(tokensPerS / oneRate).toFixed(1)}× | ${timings.every((t) => same(one[0]!.outputs, t.outputs)) ? 'yes' : '**no**'} | ${((100 * exact) / n).toFixed(1)}% |`,
    );
  }
}
const table = [
  '| decoding | path | sentences | wall s | s per 1,000 sentences | new tokens/s | speed-up (tokens/s) | same output | exact match |',
  '|---|---|---:|---:|---:|---:|---:|---|---:|',
  ...rows,
].join('\n');
const header = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`pnpm --filter @tformer/bench translate-batch\` ${clock.conditions(selection.name)}. ${held.length} held-out sources (one at a time: the first ${unbatched.length}), ${args.rounds} interleaved round(s), medians; model 2+2 layers, d 64, 4 heads, vocabulary ${SPECIALS + SYMBOLS}, trained ${args.steps} steps on the generated task.`;
console.log(`\n${header}\n\n${table}`);
if (args.doc) {
  writeMarkedSection(
    args.doc === 'default'
      ? fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url))
      : args.doc,
    'seq2seq',
    `## Batched translation (issue 17)\n\n${header}\n\n${table}\n`,
  );
}
m.dispose();
