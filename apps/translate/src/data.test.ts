import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus, prefixFiles, readParallelFiles } from './data.js';

async function files(src: string, tgt: string) {
  const dir = await mkdtemp(join(tmpdir(), 'translate-data-'));
  const paths = { src: join(dir, 'train.en'), tgt: join(dir, 'train.de') };
  await writeFile(paths.src, src);
  await writeFile(paths.tgt, tgt);
  return paths;
}

describe('readParallelFiles', () => {
  it('pairs line i with line i, trimming spaces and CRLF', async () => {
    const { src, tgt } = await files('a cat\r\n the dog \n', 'eine Katze\r\nder Hund\n');
    expect(await readParallelFiles(src, tgt)).toEqual([
      { src: 'a cat', tgt: 'eine Katze' },
      { src: 'the dog', tgt: 'der Hund' },
    ]);
  });

  it('names both files and their line counts when they are not line-parallel', async () => {
    const { src, tgt } = await files('a\nb\nc\n', 'x\ny\n');
    await expect(readParallelFiles(src, tgt)).rejects.toThrow(
      /train\.en: 3 lines, but .*train\.de has 2: --src and --tgt must be line-parallel/,
    );
  });

  it('names the file and line of an empty sentence', async () => {
    const a = await files('a\n\nc\n', 'x\ny\nz\n');
    await expect(readParallelFiles(a.src, a.tgt)).rejects.toThrow(
      /train\.en:2: empty line \(its pair in .*train\.de is "y"\)/,
    );
    const b = await files('a\nb\n', 'x\n  \n');
    await expect(readParallelFiles(b.src, b.tgt)).rejects.toThrow(/train\.de:2: empty line/);
  });

  it('holds out the last pairs, and needs more pairs than that', async () => {
    const { src, tgt } = await files('1\n2\n3\n', 'one\ntwo\nthree\n');
    const corpus = await loadCorpus({ data: { src, tgt }, testSize: 1 }, 0);
    expect(corpus.test).toEqual([{ src: '3', tgt: 'three' }]);
    await expect(loadCorpus({ data: { src, tgt }, testSize: 3 }, 0)).rejects.toThrow(
      /3 sentence pairs: need more than --test-size 3/,
    );
  });
});

describe('--valid and --test files', () => {
  it('name <prefix>.<ext> after the extensions of --src and --tgt, which must differ', () => {
    expect(
      prefixFiles('data/test', { src: 'data/train.en', tgt: 'data/train.de' }, '--test'),
    ).toEqual({ src: 'data/test.en', tgt: 'data/test.de' });
    expect(() => prefixFiles('test', { src: 'a.txt', tgt: 'b.txt' }, '--test')).toThrow(
      /--test test: held-out files are <prefix>\.<language>.*got a\.txt, b\.txt/,
    );
    expect(() => prefixFiles('test', { src: 'src', tgt: 'tgt.de' }, '--valid')).toThrow(/--valid/);
  });

  it('replace the held-out tail: every training line trains, every test line tests', async () => {
    const train = await files('1\n2\n3\n', 'one\ntwo\nthree\n');
    const test = await files('4\n5\n', 'four\nfive\n');
    const valid = await files('6\n', 'six\n');
    const corpus = await loadCorpus({ data: { ...train, valid, test }, testSize: 100 }, 0);
    expect(corpus.train.map((p) => p.src)).toEqual(['1', '2', '3']);
    expect(corpus.valid).toEqual([{ src: '6', tgt: 'six' }]);
    expect(corpus.test.map((p) => p.tgt)).toEqual(['four', 'five']);
    expect(corpus.source).toContain(`test: ${test.src} → ${test.tgt}`);
    // A config written before --valid/--test (no such fields) holds out the tail as before.
    const old = await loadCorpus({ data: train, testSize: 1 }, 0);
    expect([old.train.length, old.valid, old.test.length]).toEqual([2, null, 1]);
  });
});
