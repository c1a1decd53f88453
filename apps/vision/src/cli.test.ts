import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { tiny } from './fixtures/tiny.js';

/** The CLI run from source as a user would, on the wasm backend, and a folder for its runs. */
const vision = new AppCliTest('vision-test', new URL('./cli.ts', import.meta.url), { tiny });
const { work } = vision;

describe('vision CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    vision.expectHelp(
      ['train', 'resume', 'eval', 'predict', 'samples'],
      ['--data', '--image-size', '--patch-size'],
    );
  });

  it('trains on generated shapes, then resumes and evaluates from the run directory', async () => {
    const out = join(work, 'run');
    const trained = await vision.expectTrains(out);
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(12 held-out images\)/,
    );
    expect(trained.stdout).toMatch(
      /true \\ predicted\s+circle\s+cross\s+square\s+triangle\s+recall/,
    );
    expect(trained.stderr).toMatch(/train 4\/4 {2}loss \d+\.\d{4}/); // plain progress lines

    await vision.expectResumes(out, 4, 6);

    const evaluated = vision.run('eval', '--out', out);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test accuracy \d+\.\d%, macro-F1 \d\.\d{3}/);
  }, 600_000);

  it('trains on a --data folder of PNGs, predicts its files, and names a non-PNG file in it (exit 2)', () => {
    const shapes = join(work, 'data');
    expect(vision.run('samples', shapes, '--count', '40').stdout).toContain(
      'wrote 40 16×16 PNG images',
    );
    const out = join(work, 'folder-run');
    const trained = vision.run('train', '--data', shapes, '--steps', '2', '--out', out, ...tiny);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`data: ${shapes} (4 classes, resized to 16×16 grayscale)`);

    const pngs = ['circle', 'cross'].map((name) => {
      const first = readdirSync(join(shapes, name)).sort()[0]!;
      return join(shapes, name, first);
    });
    const predicted = vision.run('predict', '--out', out, ...pngs);
    expect(predicted.code).toBe(0);
    for (const png of pngs) {
      expect(predicted.stdout).toMatch(
        new RegExp(
          `(?:^|\\n)(circle|cross|square|triangle)\\t\\d\\.\\d{3}, \\w+ \\d\\.\\d{3}\\t${png}\\n`,
        ),
      );
    }

    writeFileSync(join(shapes, 'square', 'notes.txt'), 'not an image');
    vision.expectUserError(
      vision.run('train', '--data', shapes, '--out', join(work, 'bad')),
      /square\/notes\.txt: not a PNG image \(it does not start with the PNG signature\)/,
    );
  });

  it('rejects an empty --data folder with exit code 2', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const { code, stderr } = vision.run('train', '--data', empty);
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
      expect(
        vision.run('samples', dir, '--count', String(count), '--seed', String(seed)).code,
      ).toBe(0);
    const out = join(work, 'split-run');
    const trained = vision.run(
      ...['train', '--data', train, '--valid', valid, '--test', test, '--steps', '2'],
      ...['--out', out, ...tiny],
    );
    vision.expectSucceeded(trained);
    expect(trained.stdout).toContain('40 training, 16 validation, 24 test images');
    expect(trained.stdout).toMatch(
      /test accuracy \d+\.\d%, macro-F1 \d\.\d{3} \(24 held-out images\)/,
    );
    expect(await vision.metricSplits(out)).toEqual(['test', 'train', 'val']);
    const evaluated = vision.run('eval', '--out', out);
    expect(evaluated.stdout).toMatch(/\(24 held-out images\)/);
    const alone = vision.run('train', '--test', test);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--test: give --data too/);
  }, 600_000);
});
