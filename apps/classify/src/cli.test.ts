import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource, errorLines, RunDir } from '@tformer/app-kit';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'classify-test-'));

/** Runs the CLI from source as a user would, on the wasm backend. */
const classify = cliFromSource(new URL('./cli.ts', import.meta.url));

const tiny = '--d-model 8 --heads 2 --d-ff 8 --batch-size 8 --test-size 20'.split(' ');

describe('classify CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    const { code, stdout } = classify('--help');
    expect(code).toBe(0);
    for (const text of ['train', 'resume', 'eval', 'predict', 'Examples:', 'label, a tab'])
      expect(stdout).toContain(text);
    const train = classify('train', '--help');
    for (const flag of ['--backend', '--seed', '--out', '--data', '--test', '--pooling'])
      expect(train.stdout).toContain(flag);
  });

  it('trains on the default task, then resumes, evaluates and predicts from the run directory', async () => {
    const out = join(work, 'run');
    const trained = classify('train', '--steps', '4', '--eval-every', '2', '--out', out, ...tiny);
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
    // One line on stderr says which backend runs; stdout holds only the command's output.
    expect(trained.stderr).toMatch(/^backend wasm: requested by (--backend|TFORMER_BACKEND)\n/m);
    expect(trained.stdout).not.toMatch(/backend wasm/);
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(20 held-out examples\)/,
    );
    expect(trained.stdout).toMatch(/true \\ predicted\s+negative\s+neutral\s+positive\s+recall/);
    expect(trained.stderr).toMatch(/train 4\/4 {2}loss \d+\.\d{4}/); // plain progress lines
    const metrics = await new RunDir(out).readMetrics();
    expect(metrics.filter((m) => m.split === 'train').map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(
      metrics.filter((m) => m.split === 'test' && m.loss !== undefined).map((m) => m.step),
    ).toEqual([0, 2, 4]); // before training, every 2 steps
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await new RunDir(out).latestCheckpointStep()).toBe(4);

    const resumed = classify('resume', '--out', out, '--steps', '6');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('resumed at step 4 of 6');
    const steps = (await new RunDir(out).readMetrics())
      .filter((m) => m.split === 'train')
      .map((m) => m.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);

    const evaluated = classify('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test accuracy \d+\.\d%, macro-F1 \d\.\d{3}/);

    const predicted = classify(
      'predict',
      '--out',
      out,
      'the food was not great',
      'i loved the staff',
    );
    expect(predicted.code).toBe(0);
    expect(predicted.stdout).toMatch(
      /(?:^|\n)(negative|neutral|positive)\t\d\.\d{3}, \w+ \d\.\d{3}\tthe food was not great\n/,
    );
    expect(predicted.stdout).toContain('\ti loved the staff\n');
  }, 600_000);

  it('names the file and line of a line without a tab, exit code 2 and no stack trace', () => {
    const file = join(work, 'no-tab.tsv');
    writeFileSync(file, 'pos\tgreat\nneg\tawful\nneg awful again\n');
    const { code, stderr } = classify('train', '--data', file, '--out', join(work, 'bad'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/no-tab\.tsv:3: expected label<TAB>text, found no tab/);
    expect(errorLines(stderr)).toHaveLength(1);
  });

  it('names a missing --test file, and rejects --test without --data (exit 2)', () => {
    const train = join(work, 'ok.tsv');
    writeFileSync(train, 'pos\tgreat\nneg\tawful\n');
    const missing = classify('train', '--data', train, '--test', join(work, 'nope.tsv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.tsv: no such file/);
    expect(errorLines(missing.stderr)).toHaveLength(1);
    const alone = classify('train', '--test', train);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--test: give --data too/);
  });

  it('trains with --valid and --test files, a --max-length from the data, and tests every example', async () => {
    const words = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'the', 'food', 'was', 'staff'];
    const line = (i: number) =>
      `${i % 2 ? 'pos' : 'neg'}\t${Array.from({ length: 2 + (i % 9) }, (_, k) => words[(i + k) % 10]).join(' ')}`;
    const write = (name: string, from: number, count: number) => {
      const path = join(work, name);
      writeFileSync(
        path,
        `${Array.from({ length: count }, (_, i) => line(from + i)).join('\n')}\n`,
      );
      return path;
    };
    const out = join(work, 'files-run');
    const trained = classify(
      ...['train', '--data', write('t.tsv', 0, 60), '--valid', write('v.tsv', 60, 10)],
      ...['--test', write('s.tsv', 70, 30), '--steps', '2', '--out', out, ...tiny],
    );
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain('60 training, 10 validation, 30 test examples');
    // Texts of 2–10 words: the 99th percentile of their token lengths, not a constant.
    expect(trained.stdout).toMatch(
      /max length: \d+ tokens \(the 99th percentile of the training texts' lengths, at most 256; --max-length sets it\): cuts \d+ of 60 training texts/,
    );
    const maxLength = (await new RunDir(out).readConfig<{ model: { maxLength: number } }>()).model
      .maxLength;
    expect(maxLength).toBeGreaterThanOrEqual(10);
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(30 held-out examples\)/,
    );
    const splits = new Set((await new RunDir(out).readMetrics()).map((m) => m.split));
    expect([...splits].sort()).toEqual(['test', 'train', 'val']);
  }, 600_000);
});
