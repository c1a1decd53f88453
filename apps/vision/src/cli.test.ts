import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource, errorLines, RunDir } from '@tformer/app-kit';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'vision-test-'));

/** Runs the CLI from source as a user would, on the wasm backend. */
const vision = cliFromSource(new URL('./cli.ts', import.meta.url));

const tiny = '--d-model 8 --heads 2 --layers 1 --batch-size 8 --test-size 12'.split(' ');

describe('vision CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    const { code, stdout } = vision('--help');
    expect(code).toBe(0);
    for (const text of ['train', 'resume', 'eval', 'predict', 'samples', 'Examples:'])
      expect(stdout).toContain(text);
    const train = vision('train', '--help');
    for (const flag of ['--backend', '--seed', '--out', '--data', '--image-size', '--patch-size'])
      expect(train.stdout).toContain(flag);
  });

  it('trains on generated shapes, then resumes and evaluates from the run directory', async () => {
    const out = join(work, 'run');
    const trained = vision('train', '--steps', '4', '--eval-every', '2', '--out', out, ...tiny);
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
    // One line on stderr says which backend runs; stdout holds only the command's output.
    expect(trained.stderr).toMatch(/^backend wasm: requested by (--backend|TFORMER_BACKEND)\n/m);
    expect(trained.stdout).not.toMatch(/backend wasm/);
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(12 held-out images\)/,
    );
    expect(trained.stdout).toMatch(
      /true \\ predicted\s+circle\s+cross\s+square\s+triangle\s+recall/,
    );
    expect(trained.stderr).toMatch(/train 4\/4 {2}loss \d+\.\d{4}/); // plain progress lines
    expect(
      (await new RunDir(out).readMetrics()).filter((m) => m.split === 'train').map((m) => m.step),
    ).toEqual([1, 2, 3, 4]);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await new RunDir(out).latestCheckpointStep()).toBe(4);

    const resumed = vision('resume', '--out', out, '--steps', '6');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('resumed at step 4 of 6');
    const steps = (await new RunDir(out).readMetrics())
      .filter((m) => m.split === 'train')
      .map((m) => m.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);

    const evaluated = vision('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test accuracy \d+\.\d%, macro-F1 \d\.\d{3}/);
  }, 600_000);

  it('trains on a --data folder of PNGs, predicts its files, and names a non-PNG file in it (exit 2)', () => {
    const shapes = join(work, 'data');
    expect(vision('samples', shapes, '--count', '40').stdout).toContain(
      'wrote 40 16×16 PNG images',
    );
    const out = join(work, 'folder-run');
    const trained = vision('train', '--data', shapes, '--steps', '2', '--out', out, ...tiny);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`data: ${shapes} (4 classes, resized to 16×16 grayscale)`);

    const pngs = ['circle', 'cross'].map((name) => {
      const first = readdirSync(join(shapes, name)).sort()[0]!;
      return join(shapes, name, first);
    });
    const predicted = vision('predict', '--out', out, ...pngs);
    expect(predicted.code).toBe(0);
    for (const png of pngs) {
      expect(predicted.stdout).toMatch(
        new RegExp(
          `(?:^|\\n)(circle|cross|square|triangle)\\t\\d\\.\\d{3}, \\w+ \\d\\.\\d{3}\\t${png}\\n`,
        ),
      );
    }

    writeFileSync(join(shapes, 'square', 'notes.txt'), 'not an image');
    const bad = vision('train', '--data', shapes, '--out', join(work, 'bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /square\/notes\.txt: not a PNG image \(it does not start with the PNG signature\)/,
    );
    expect(errorLines(bad.stderr)).toHaveLength(1); // no stack trace
  });

  it('rejects an empty --data folder with exit code 2', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const { code, stderr } = vision('train', '--data', empty);
    expect(code).toBe(2);
    expect(stderr).toMatch(/empty: empty: expected one sub-folder of PNG images per class/);
  });

  it('trains with --valid and --test folders and tests every test image', async () => {
    const [train, valid, test] = ['train', 'valid', 'test'].map((name) =>
      join(work, `split-${name}`),
    );
    for (const [dir, count, seed] of [
      [train, 40, 1],
      [valid, 16, 2],
      [test, 24, 3],
    ] as const)
      expect(vision('samples', dir, '--count', String(count), '--seed', String(seed)).code).toBe(0);
    const out = join(work, 'split-run');
    const trained = vision(
      ...['train', '--data', train, '--valid', valid, '--test', test, '--steps', '2'],
      ...['--out', out, ...tiny],
    );
    expect(trained.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain('40 training, 16 validation, 24 test images');
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(24 held-out images\)/,
    );
    const splits = new Set((await new RunDir(out).readMetrics()).map((m) => m.split));
    expect([...splits].sort()).toEqual(['test', 'train', 'val']);
    const evaluated = vision('eval', '--out', out);
    expect(evaluated.stdout).toMatch(/\(24 held-out images\)/);
    const alone = vision('train', '--test', test);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--test: give --data too/);
  }, 600_000);
});
