import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource, errorLines, RunDir } from '@tformer/app-kit';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'textgen-test-'));

/** Runs the CLI from source as a user would, on the wasm backend. */
const textgen = cliFromSource(new URL('./cli.ts', import.meta.url));

// A small generated corpus: a repeating pattern a tiny model can start to learn in a few steps.
const corpusFile = join(work, 'corpus.txt');
writeFileSync(
  corpusFile,
  Array.from({ length: 400 }, (_, i) => `line ${i % 7}: the quick brown fox\n`).join(''),
);
const tiny =
  '--layers 1 --heads 2 --d-model 16 --block-size 16 --batch-size 4 --sample-tokens 12 --eval-batches 1'.split(
    ' ',
  );

describe('textgen CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    const { code, stdout } = textgen('--help');
    expect(code).toBe(0);
    for (const text of ['train', 'resume', 'eval', 'generate', 'Examples:'])
      expect(stdout).toContain(text);
    const train = textgen('train', '--help');
    for (const flag of ['--backend', '--seed', '--out', '--data', '--tokenizer', '--steps'])
      expect(train.stdout).toContain(flag);
  });

  it('trains, checkpoints, then resumes, evaluates and generates from the run directory', async () => {
    const out = join(work, 'run');
    const trained = textgen(
      'train',
      '--data',
      corpusFile,
      '--steps',
      '4',
      '--eval-every',
      '2',
      '--out',
      out,
      ...tiny,
    );
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
    // One line on stderr says which backend runs; stdout holds only the command's output.
    expect(trained.stderr).toMatch(/^backend wasm: requested by (--backend|TFORMER_BACKEND)\n/m);
    expect(trained.stdout).not.toMatch(/backend wasm/);
    expect(trained.stdout).toMatch(/validation loss before training: \d+\.\d{4}/);
    expect(trained.stdout).toMatch(/validation loss after training: \d+\.\d{4}/);
    const metrics = await new RunDir(out).readMetrics();
    expect(metrics.filter((m) => m.split === 'train').map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await new RunDir(out).latestCheckpointStep()).toBe(4);

    // Issue 12 row 1: training again into the run refuses in one line and keeps the model.
    const again = textgen('train', '--data', corpusFile, '--steps', '1', '--out', out, ...tiny);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /^error: .* already holds a trained run: .*resume --out .*--force/m,
    );
    expect(errorLines(again.stderr)).toHaveLength(1);
    expect(await new RunDir(out).latestCheckpointStep()).toBe(4);

    const resumed = textgen('resume', '--out', out, '--steps', '6');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('resumed at step 4 of 6');
    const after = await new RunDir(out).readMetrics();
    expect(after.filter((m) => m.split === 'train').map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);

    const evaluated = textgen('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(
      /validation loss \d+\.\d{4} nats\/token, perplexity \d+\.\d{2}/,
    );

    const generated = textgen(
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
      const { code, stderr } = textgen(
        'train',
        '--data',
        file,
        '--out',
        join(work, 'bad'),
        ...tiny,
      );
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(errorLines(stderr)).toHaveLength(1); // no stack trace
    },
  );

  it('rejects bad flags and a run directory without a run, with exit code 2', () => {
    expect(textgen('train', '--steps', '0').stderr).toMatch(
      /--steps: expected an integer ≥ 1, got '0'/,
    );
    const noRun = textgen('resume', '--out', join(work, 'nothing-here'));
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/config\.json: no config\.json here/);
    const badBackend = textgen('eval', '--backend', 'tpu');
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
    const trained = textgen(
      ...['train', '--data', corpusFile, '--valid', valid, '--test', test, '--steps', '2'],
      ...['--out', out, ...tiny],
    );
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
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
    const evaluated = textgen('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test loss \d+\.\d{4} nats\/token/);
  }, 600_000);
});
