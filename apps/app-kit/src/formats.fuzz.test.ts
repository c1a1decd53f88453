import { fuzzFormat } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { DataFileError } from './data-file-error.js';
import { type MetricRecord, parseMetricsText } from './run-dir.js';
import { textLinesOf } from './text-lines.js';

// Issue 12: the apps' own files, fuzzed. metrics.jsonl always reads (a torn or foreign line is
// skipped, never a SyntaxError that breaks `resume`); a text data file (textgen's corpus,
// classify's label<TAB>text, translate's parallel lines) gives its lines or a DataFileError.
const encoder = new TextEncoder();
const records: MetricRecord[] = [
  { time: '2026-12-05T10:00:00.000Z', step: 1, split: 'train', loss: 2.5, tokensPerSecond: 900 },
  { time: '2026-12-05T10:00:01.000Z', step: 2, split: 'train', loss: 2.25 },
  { time: '2026-12-05T10:00:02.000Z', step: 2, split: 'val', loss: 2.3, accuracy: 0.5 },
];
const jsonl = records.map((r) => `${JSON.stringify(r)}\n`).join('');

it('metrics.jsonl bytes: 5,000 mutations always read, every record an object with a step', async () => {
  const report = await fuzzFormat({
    format: 'metrics.jsonl (bytes)',
    seeds: [encoder.encode(jsonl)],
    parse: (input) => parseMetricsText(new TextDecoder().decode(input as Uint8Array)),
    isTypedError: () => false,
    check: ({ records: read, skipped }) => {
      for (const r of read) expect(Number.isFinite(r.step)).toBe(true);
      expect(read.length + skipped.length).toBeLessThanOrEqual(records.length + 70);
    },
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.valid).toBe(5_000);
});

it('metrics.jsonl last record: 5,000 mutated records after good lines keep the good lines', async () => {
  const report = await fuzzFormat({
    format: 'metrics.jsonl (record)',
    seeds: records,
    parse: (input) => parseMetricsText(`${jsonl}${input as string}\n`),
    isTypedError: () => false,
    check: ({ records: read }) => {
      expect(read.slice(0, records.length)).toEqual(records);
      for (const r of read) expect(Number.isFinite(r.step)).toBe(true);
    },
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.valid).toBe(5_000);
});

it('text data files: 5,000 mutations give their lines or a DataFileError naming the file', async () => {
  const seeds = [
    'positive\tWhat a lovely day\nnegative\tNot good at all\r\nneutral\tIt is a day\n',
    'Hello world.\nBonjour le monde.\n\n',
    '\ufeffFirst line with a BOM\nsecond ünïcödé line 👋\n',
  ].map((s) => encoder.encode(s));
  const report = await fuzzFormat({
    format: 'text data file',
    seeds,
    parse: (input) => textLinesOf(input as Uint8Array, 'data/train.tsv'),
    isTypedError: (e) => e instanceof DataFileError && e.message.startsWith('data/train.tsv'),
    check: (lines, input) => {
      for (const line of lines) expect(line).not.toMatch(/[\n\0]/);
      expect(lines.length).toBeLessThanOrEqual(input.length);
    },
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.cases).toBeGreaterThanOrEqual(5_000);
  expect(report.rejected).toBeGreaterThan(0);
});
