import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir } from '@tformer/app-kit';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { tiny } from './fixtures/tiny.js';

/** The CLI run from source as a user would, on the wasm backend, and a folder for its runs. */
const textgen = new AppCliTest('textgen-test', new URL('./cli.ts', import.meta.url), { tiny });
const { work } = textgen;

// A small generated corpus: a repeating pattern a tiny model can start to learn in a few steps.
const corpusFile = join(work, 'corpus.txt');
writeFileSync(
  corpusFile,
  Array.from({ length: 400 }, (_, i) => `line ${i % 7}: the quick brown fox\n`).join(''),
);

describe('textgen CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    textgen.expectHelp(
      ['train', 'resume', 'eval', 'generate'],
      ['--data', '--tokenizer', '--steps'],
    );
  });

  it('trains, checkpoints, then resumes, evaluates and generates from the run directory', async () => {
    const out = join(work, 'run');
    const trained = await textgen.expectTrains(out, '--data', corpusFile);
    expect(trained.stdout).toMatch(/validation loss before training: \d+\.\d{4}/);
    expect(trained.stdout).toMatch(/validation loss after training: \d+\.\d{4}/);

    // Issue 12 row 1: training again into the run refuses in one line and keeps the model.
    const again = textgen.run('train', '--data', corpusFile, '--steps', '1', '--out', out, ...tiny);
    textgen.expectUserError(
      again,
      /^error: .* already holds a trained run: .*resume --out .*--force/m,
    );
    expect(await new RunDir(out).latestCheckpointStep()).toBe(4);

    await textgen.expectResumes(out, 4, 6);

    const evaluated = textgen.run('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(
      /validation loss \d+\.\d{4} nats\/token, perplexity \d+\.\d{2}/,
    );

    const generated = textgen.run(
      'generate',
      '--out',
      out,
      '--prompt',
      'line ',
      '--sample-tokens',
      '8',
      '--temperature',
      '0',
    );
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/^line .{1,8}\n$/s);
  }, 600_000);

  const badFiles: [string, string | Buffer, RegExp][] = [
    ['missing.txt', '', /missing\.txt: no such file/],
    ['empty.txt', '', /empty\.txt: the file is empty/],
    ['binary.bin', Buffer.from('ok\nstill ok\n\u0000\u0001'), /binary\.bin:3: contains a NUL byte/],
    ['short.txt', 'too short', /short\.txt: only 9 characters; need at least 34/],
  ];
  it.each(badFiles)(
    'a bad --data file (%s) gets one line naming it and exit code 2',
    (name, content, message) => {
      const file = join(work, name);
      if (name !== 'missing.txt') writeFileSync(file, content);
      textgen.expectUserError(
        textgen.run('train', '--data', file, '--out', join(work, 'bad'), ...tiny),
        message,
      );
    },
  );

  it('rejects bad flags and a run directory without a run, with exit code 2', () => {
    expect(textgen.run('train', '--steps', '0').stderr).toMatch(
      /--steps: expected an integer ≥ 1, got '0'/,
    );
    const noRun = textgen.run('resume', '--out', join(work, 'nothing-here'));
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/config\.json: no config\.json here/);
    const badBackend = textgen.run('eval', '--backend', 'tpu');
    expect(badBackend.code).toBe(2);
    expect(badBackend.stderr).toMatch(/tpu/);
  });

  it('trains with --valid and --test files and reports the loss over every test token', async () => {
    const valid = join(work, 'valid.txt');
    const test = join(work, 'test.txt');
    writeFileSync(
      valid,
      Array.from({ length: 10 }, (_, i) => `line ${i % 7}: the quick brown fox\n`).join(''),
    );
    writeFileSync(test, 'line 3: the quick brown fox\nline 4: the quick\n');
    const out = join(work, 'files-run');
    const trained = textgen.run(
      ...['train', '--data', corpusFile, '--valid', valid, '--test', test, '--steps', '2'],
      ...['--out', out, ...tiny],
    );
    textgen.expectSucceeded(trained);
    // char tokenizer: one token per character; all the corpus trains.
    expect(trained.stdout).toContain(
      `tokens: 11,200 train, 280 validation (${valid}), 46 test (${test})`,
    );
    expect(trained.stdout).toMatch(
      /test loss \d+\.\d{4} nats\/token, perplexity \d+\.\d{2} \(every one of 45 next-token predictions of .*test\.txt\)/,
    );
    const metrics = await new RunDir(out).readMetrics();
    expect(metrics.filter((m) => m.split === 'test').map((m) => m.step)).toEqual([2]);
    expect(metrics.some((m) => m.split === 'val')).toBe(true);
    const evaluated = textgen.run('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test loss \d+\.\d{4} nats\/token/);
  }, 600_000);
});
