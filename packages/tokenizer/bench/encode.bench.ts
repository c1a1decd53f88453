/**
 * Encode (MB/s) and decode (tokens/s) throughput, side by side with js-tiktoken, gpt-tokenizer
 * and @huggingface/tokenizers on the same inputs, GPT-2 and cl100k; ids are checked identical.
 * Also: a 50 MB encode (memory per input byte) and BPE training on Tiny Shakespeare.
 *
 *   pnpm bench                    # print the tables
 *   pnpm bench -- --write-docs    # also replace the tokenizer section of docs/benchmarks.md
 *   pnpm bench -- --quick         # one timed run per cell, skip the 50 MB run
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as gptR50k from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import cl100kRanks from 'js-tiktoken/ranks/cl100k_base';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { BpeTrainer, BytePairTokenizer } from '../src/index.js';
import { corpora } from './corpus.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const SHAKESPEARE = '/work/shared/data/tinyshakespeare/input.txt';

interface Impl {
  readonly name: string;
  readonly encode: (text: string) => number[];
  readonly decode: (ids: number[]) => string;
}

/**
 * Times every function on the same input in interleaved rounds (so load changes hit all of them
 * alike) after one warm-up call each; returns the median seconds and the warm-up result of each.
 */
function timeAll<T>(fs: Array<() => T>): Array<{ seconds: number; result: T }> {
  const results = fs.map((f) => f());
  const samples: number[][] = fs.map(() => []);
  const rounds = quick ? 1 : 5;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    fs.forEach((f, i) => {
      const t = performance.now();
      f();
      samples[i]!.push((performance.now() - t) / 1000);
    });
    if (r >= 2 && performance.now() - started > 60_000) break;
  }
  return samples.map((s, i) => {
    s.sort((a, b) => a - b);
    return { seconds: s[s.length >> 1]!, result: results[i]! };
  });
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const fmt = (x: number, d = 1) => x.toFixed(d);

function implementations(name: 'gpt2' | 'cl100k_base'): Impl[] {
  const ours = BytePairTokenizer.fromJsTiktokenRanks(name === 'gpt2' ? gpt2Ranks : cl100kRanks);
  const tiktoken = getEncoding(name);
  const gpt = name === 'gpt2' ? gptR50k : gptCl100k;
  const hf = new HfTokenizer(JSON.parse(JSON.stringify(ours.toJSON())), {});
  return [
    {
      name: '@tformer/tokenizer',
      encode: (t) => ours.encode(t),
      decode: (ids) => ours.decode(ids),
    },
    {
      name: 'js-tiktoken',
      encode: (t) => tiktoken.encode(t),
      decode: (ids) => tiktoken.decode(ids),
    },
    { name: 'gpt-tokenizer', encode: (t) => gpt.encode(t), decode: (ids) => gpt.decode(ids) },
    {
      name: '@huggingface/tokenizers',
      encode: (t) => hf.encode(t, { add_special_tokens: false }).ids,
      decode: (ids) => hf.decode(ids, { clean_up_tokenization_spaces: false }),
    },
  ];
}

function throughputTables(): string[] {
  const inputs = corpora(root);
  const encodeRows: string[] = [];
  const decodeRows: string[] = [];
  for (const encoding of ['gpt2', 'cl100k_base'] as const) {
    const impls = implementations(encoding);
    for (const { name, text } of inputs) {
      const mb = new TextEncoder().encode(text).length / (1 << 20);
      const enc = timeAll(impls.map((impl) => () => impl.encode(text)));
      const ids = enc[0]!.result;
      const idsOk = enc.map((e) => (same(e.result, ids) ? '' : ' ✗ids'));
      const dec = timeAll(impls.map((impl) => () => impl.decode(ids)));
      const textOk = dec.map((d) => (d.result === dec[1]!.result ? '' : ' ✗text'));
      const mbs = enc.map((e) => mb / e.seconds);
      const tps = dec.map((d) => ids.length / d.seconds / 1e6);
      const cell = (v: number[], i: number, bad: string[]) => `${fmt(v[i]!, 2)}${bad[i]}`;
      const best = (v: number[]) => Math.max(...v.slice(1));
      encodeRows.push(
        `| ${name} | ${encoding} | ${fmt(mb, 2)} | ${[0, 1, 2, 3].map((i) => cell(mbs, i, idsOk)).join(' | ')} | **${fmt(mbs[0]! / best(mbs), 2)}×** |`,
      );
      decodeRows.push(
        `| ${name} | ${encoding} | ${ids.length} | ${[0, 1, 2, 3].map((i) => cell(tps, i, textOk)).join(' | ')} | **${fmt(tps[0]! / best(tps), 2)}×** |`,
      );
      console.error(`  ${encoding} / ${name}: encode ${mbs.map((x) => fmt(x, 2)).join(' ')} MB/s`);
    }
  }
  const head = (unit: string, size: string) => [
    `| Input | Encoding | ${size} | ours ${unit} | js-tiktoken | gpt-tokenizer | @huggingface/tokenizers | ours ÷ fastest peer |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  return [
    '**Encode, MB/s** (ids identical to js-tiktoken in every cell unless marked ✗ids)',
    '',
    ...head('MB/s', 'MB'),
    ...encodeRows,
    '',
    '**Decode, million tokens/s** (text identical to js-tiktoken unless marked ✗text)',
    '',
    ...head('Mtok/s', 'tokens'),
    ...decodeRows,
  ];
}

function largeInput(): string[] {
  if (quick) return ['Large inputs: skipped (--quick).'];
  const ours = BytePairTokenizer.fromJsTiktokenRanks(cl100kRanks);
  const unit = corpora(root)
    .map((c) => c.text)
    .join('\n');
  const used = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return (m.heapUsed + m.arrayBuffers) / (1 << 20);
  };
  const rows = [10, 50].map((mbIn) => {
    const text = unit.repeat(Math.ceil((mbIn << 20) / unit.length)).slice(0, mbIn << 20);
    const mb = new TextEncoder().encode(text).length / (1 << 20);
    const before = used();
    const t = performance.now();
    const ids = ours.encode(text);
    const seconds = (performance.now() - t) / 1000;
    const held = used() - before;
    return (
      `| ${fmt(text.length / 1e6)} M chars (${fmt(mb)} MB UTF-8) | ${fmt(seconds, 2)} s | ` +
      `${fmt(mb / seconds)} | ${ids.length} | ${fmt(held)} MB | ${fmt(held / mb, 2)} |`
    );
  });
  return [
    '**Large inputs** (cl100k, the four inputs repeated; memory is heap + array buffers after the',
    `encode with the ids still held${globalThis.gc ? ', after a full GC' : ' (run with --expose-gc for exact numbers)'}: it grows linearly, about`,
    '8 bytes per id for the JS array of ids)',
    '',
    '| Input | Encode time | MB/s | ids | memory held | per input MB |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

function training(): string[] {
  if (!existsSync(SHAKESPEARE)) {
    console.error(`Tiny Shakespeare not found at ${SHAKESPEARE}: skipping the training benchmark.`);
    return [`BPE training: skipped, ${SHAKESPEARE} not present.`];
  }
  const text = readFileSync(SHAKESPEARE, 'utf8');
  const [run] = timeAll([
    () => new BpeTrainer({ vocabSize: 4096, specialTokens: ['<|endoftext|>'] }).train(text),
  ]);
  const { seconds, result } = run!;
  return [
    `BPE training, Tiny Shakespeare (${fmt(text.length / 1e6, 2)} MB) to ${result.vocabSize} tokens ` +
      `(byte level, GPT-2 split, min frequency 2): **${fmt(seconds, 2)} s** (median).`,
  ];
}

console.error('Encoding and decoding…');
const lines = [
  '## Tokenizer',
  '',
  `Date: 2026-11-28. Machine: ${cpus().length} vCPU ${cpus()[0]?.model.includes('Xeon') ? 'Xeon' : (cpus()[0]?.model ?? '')}, ` +
    `Node ${process.versions.node}. Command: \`pnpm --filter @tformer/tokenizer bench\`. Each cell is the ` +
    'median of 5 timed runs after a warm-up, the four libraries interleaved round by round; inputs are generated locally (bench/corpus.ts): ' +
    'English prose from a word list, code (TypeScript lib .d.ts files), CJK, emoji-heavy with ZWJ ' +
    'sequences. @huggingface/tokenizers loads the tokenizer.json this package writes. ' +
    `1-minute load average at the end of the run: ${fmt(loadavg()[0]!)} (the machine may be shared; ` +
    'the ratios compare libraries measured in the same rounds).',
  '',
  ...throughputTables(),
  '',
  ...largeInput(),
  '',
  ...training(),
];
const section = lines.join('\n');
console.log(section);

if (args.has('--write-docs')) {
  const path = `${root}docs/benchmarks.md`;
  const doc = readFileSync(path, 'utf8');
  const start = '<!-- tokenizer:start -->';
  const end = '<!-- tokenizer:end -->';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path}: tokenizer markers not found`);
  writeFileSync(path, `${doc.slice(0, a + start.length)}\n${section}\n${doc.slice(b)}`);
  console.error(`Wrote ${path}`);
}
