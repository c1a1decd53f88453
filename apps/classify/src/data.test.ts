import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus, readLabelledFile } from './data.js';
import { lengthPercentile, MAX_LENGTH_CAP } from './vocab.js';

async function file(name: string, text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'classify-data-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('readLabelledFile', () => {
  it('reads label<TAB>text lines, skipping blank ones; the text may hold more tabs', async () => {
    const path = await file('a.tsv', 'pos\tgreat film\n\nneg\tdull\tand long\r\n');
    expect(await readLabelledFile(path)).toEqual([
      { label: 'pos', text: 'great film' },
      { label: 'neg', text: 'dull\tand long' },
    ]);
  });

  it.each([
    [
      'no-tab.tsv',
      'pos\tok\nneg  no tab here\n',
      /no-tab\.tsv:2: expected label<TAB>text, found no tab in "neg {2}no tab here"/,
    ],
    ['no-label.tsv', '\tok\n', /no-label\.tsv:1: empty label before the tab/],
    ['no-text.tsv', 'pos\tok\npos\t \n', /no-text\.tsv:2: empty text after the tab/],
    ['blank.tsv', '\n\n', /blank\.tsv: no examples: every line is blank/],
  ])('names the file and line of a bad line (%s)', async (name, text, message) => {
    await expect(readLabelledFile(await file(name, text))).rejects.toThrow(message);
  });
});

describe('loadCorpus', () => {
  it('shuffles a file before holding out the test examples, and needs two classes', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `${i < 20 ? 'a' : 'b'}\tx${i}`).join('\n');
    const corpus = await loadCorpus({ train: await file('ab.tsv', lines), test: null }, 10, 1);
    expect(corpus.labels).toEqual(['a', 'b']);
    expect(corpus.train).toHaveLength(30);
    expect(new Set(corpus.test.map((e) => e.label)).size).toBe(2); // not just the file's tail
    const one = await file('one.tsv', 'a\tx\na\ty\na\tz\n');
    await expect(loadCorpus({ train: one, test: null }, 1, 1)).rejects.toThrow(
      /one\.tsv: only one class \(a\)/,
    );
  });

  it('rejects a test label that training never saw, naming the test file', async () => {
    const train = await file('train.tsv', 'a\tx\nb\ty\n');
    const test = await file('test.tsv', 'c\tz\n');
    await expect(loadCorpus({ train, test }, 1, 1)).rejects.toThrow(
      /test\.tsv: test label "c" never occurs in training \(classes: a, b\)/,
    );
  });

  it('reads --valid and --test files, and names a --valid label that training never saw', async () => {
    const train = await file('t.tsv', 'a\tx\nb\ty\na\tz\n');
    const valid = await file('v.tsv', 'b\tv\n');
    const test = await file('s.tsv', 'a\tw\nb\tu\n');
    const corpus = await loadCorpus({ train, valid, test }, 100, 1);
    expect([corpus.train.length, corpus.valid?.length, corpus.test.length]).toEqual([3, 1, 2]);
    expect(corpus.source).toBe(`${train} (valid: ${valid}, test: ${test})`);
    const held = await loadCorpus({ train, valid, test: null }, 1, 1);
    expect([held.train.length, held.valid?.length, held.test.length]).toEqual([2, 1, 1]);
    const bad = await file('bad.tsv', 'c\tz\n');
    await expect(loadCorpus({ train, valid: bad, test }, 1, 1)).rejects.toThrow(
      /bad\.tsv: valid label "c" never occurs in training/,
    );
  });
});

describe('lengthPercentile', () => {
  it('is the 99th percentile of the lengths (nearest rank), capped', () => {
    const lengths = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(lengthPercentile(lengths)).toBe(99);
    expect(lengthPercentile([7])).toBe(7);
    expect(lengthPercentile([3, 3, 3, 40])).toBe(40); // ceil(0.99 × 4) = the 4th
    expect(lengthPercentile([10_000])).toBe(MAX_LENGTH_CAP);
    expect(lengthPercentile([0, 0])).toBe(1);
  });
});
