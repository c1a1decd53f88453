import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '@tformer/app-kit';
import { cliFromSource } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'textgen-smaller-'));
const textgen = cliFromSource(new URL('./cli.ts', import.meta.url));

const corpusFile = join(work, 'corpus.txt');
writeFileSync(
  corpusFile,
  Array.from({ length: 400 }, (_, i) => `line ${i % 7}: the quick brown fox\n`).join(''),
);

const lossOf = (stdout: string): number =>
  Number(/validation loss (\d+\.\d{4}) nats/.exec(stdout)?.[1] ?? Number.NaN);
const weightBytes = (run: string) => statSync(join(run, 'model', 'model.safetensors')).size;

describe('textgen quantize and distill', () => {
  it('quantizes a run to int8 and 4 bits; eval and generate read the new runs as they would the original', () => {
    const teacher = join(work, 'teacher');
    const trained = textgen(
      'train',
      '--data',
      corpusFile,
      '--steps',
      '12',
      '--layers',
      '1',
      '--heads',
      '2',
      '--d-model',
      '32',
      '--block-size',
      '16',
      '--batch-size',
      '8',
      '--sample-tokens',
      '4',
      '--eval-batches',
      '2',
      '--out',
      teacher,
    );
    expect(trained.code).toBe(0);
    const floatLoss = lossOf(textgen('eval', '--out', teacher).stdout);

    for (const [bits, ratio, tolerance] of [
      ['8', 3, 0.02],
      ['4', 4, 0.15],
    ] as const) {
      const run = join(work, `q${bits}`);
      const made = textgen(
        'quantize',
        '--run',
        teacher,
        '--out',
        run,
        '--bits',
        bits,
        '--group-size',
        '32',
      );
      expect(made.stderr.replace(/^backend .*\n/m, '')).toBe(''); // only the backend line
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(new RegExp(`int${bits}.*bytes \\(\\d+\\.\\d\\d× smaller\\)`));
      expect(weightBytes(teacher) / weightBytes(run)).toBeGreaterThan(ratio);
      const evaluated = textgen('eval', '--out', run);
      expect(evaluated.code).toBe(0);
      const loss = lossOf(evaluated.stdout);
      expect(loss).not.toBe(floatLoss); // the weights really changed
      expect(Math.abs(loss - floatLoss)).toBeLessThan(tolerance);
      const generated = textgen(
        'generate',
        '--out',
        run,
        '--prompt',
        'line ',
        '--sample-tokens',
        '6',
      );
      expect(generated.code).toBe(0);
      expect(generated.stdout).toMatch(/^line .{1,6}\n$/s);
    }
    const again = textgen('quantize', '--run', join(work, 'q8'), '--out', join(work, 'qq'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already quantized/);
  }, 600_000);

  it('distills a smaller student from the teacher run', () => {
    const teacher = join(work, 'teacher');
    const student = join(work, 'student');
    const distilled = textgen(
      'distill',
      '--teacher',
      teacher,
      '--out',
      student,
      '--steps',
      '4',
      '--layers',
      '1',
      '--heads',
      '1',
      '--d-model',
      '16',
      '--batch-size',
      '4',
      '--eval-every',
      '2',
      '--eval-batches',
      '1',
    );
    expect(distilled.stderr).not.toMatch(/Error/);
    expect(distilled.code).toBe(0);
    expect(distilled.stdout).toMatch(/student validation loss \d+\.\d{4}/);
    const config = JSON.parse(readFileSync(join(student, 'config.json'), 'utf8'));
    expect(config.distill).toEqual({ teacher, temperature: 2, alpha: 0.5 });
    expect(config.model.dModel).toBe(16);
    return new RunDir(student).readMetrics().then((metrics) => {
      expect(metrics.filter((m) => m.split === 'val').length).toBeGreaterThan(0);
    });
  });
});
