import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir } from '@tformer/app-kit';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';

/** The CLI run from source as a user would, on the wasm backend, and a folder for its runs. */
const tiny = '--d-model 8 --heads 2 --d-ff 8 --batch-size 8 --test-size 20'.split(' ');
const classify = new AppCliTest('classify-test', new URL('./cli.ts', import.meta.url), { tiny });
const { work } = classify;

describe('classify CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    classify.expectHelp(
      ['train', 'resume', 'eval', 'predict', 'label, a tab'],
      ['--data', '--test', '--pooling'],
    );
  });

  it('trains on the default task, then resumes, evaluates and predicts from the run directory', async () => {
    const out = join(work, 'run');
    const trained = await classify.expectTrains(out);
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(20 held-out examples\)/,
    );
    expect(trained.stdout).toMatch(/true \\ predicted\s+negative\s+neutral\s+positive\s+recall/);
    expect(trained.stderr).toMatch(/train 4\/4 {2}loss \d+\.\d{4}/); // plain progress lines
    const metrics = await new RunDir(out).readMetrics();
    expect(
      metrics.filter((m) => m.split === 'test' && m.loss !== undefined).map((m) => m.step),
    ).toEqual([0, 2, 4]); // before training, every 2 steps

    await classify.expectResumes(out, 4, 6);

    const evaluated = classify.run('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test accuracy \d+\.\d%, macro-F1 \d\.\d{3}/);

    const predicted = classify.run(
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
    classify.expectUserError(
      classify.run('train', '--data', file, '--out', join(work, 'bad')),
      /no-tab\.tsv:3: expected label<TAB>text, found no tab/,
    );
  });

  it('names a missing --test file, and rejects --test without --data (exit 2)', () => {
    const train = join(work, 'ok.tsv');
    writeFileSync(train, 'pos\tgreat\nneg\tawful\n');
    classify.expectUserError(
      classify.run('train', '--data', train, '--test', join(work, 'nope.tsv')),
      /nope\.tsv: no such file/,
    );
    const alone = classify.run('train', '--test', train);
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
    const trained = classify.run(
      ...['train', '--data', write('t.tsv', 0, 60), '--valid', write('v.tsv', 60, 10)],
      ...['--test', write('s.tsv', 70, 30), '--steps', '2', '--out', out, ...tiny],
    );
    classify.expectSucceeded(trained);
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
    expect(await classify.metricSplits(out)).toEqual(['test', 'train', 'val']);
  }, 600_000);
});
