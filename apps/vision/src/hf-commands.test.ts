import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'vision-hf-cli-'));
const vision = cliFromSource(new URL('./cli.ts', import.meta.url));

describe('vision export --format hf / import', () => {
  it('exports a run as a ViTForImageClassification folder and imports it back: same predictions', () => {
    const run = join(work, 'run');
    const trained = vision(
      'train',
      '--out',
      run,
      '--steps',
      '4',
      '--eval-every',
      '4',
      '--d-model',
      '8',
      '--heads',
      '2',
      '--layers',
      '1',
      '--batch-size',
      '8',
      '--test-size',
      '12',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const hf = join(work, 'hf');
    const exported = vision('export', '--out', run, '--to', hf);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/to .*hf: model\.safetensors, config\.json/);
    const config = JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'vit',
      num_channels: 1,
      image_size: 16,
      id2label: { 0: 'circle', 1: 'cross', 2: 'square', 3: 'triangle' },
    });

    const back = join(work, 'back');
    const imported = vision('import', hf, '--out', back);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/classes circle, cross, square, triangle/);
    const samples = join(work, 'samples');
    expect(vision('samples', samples, '--count', '8').code).toBe(0);
    const pngs = readdirSync(samples, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.png'))
      .map((f) => join(samples, f));
    expect(pngs.length).toBeGreaterThan(0);
    const a = vision('predict', '--out', run, ...pngs);
    const b = vision('predict', '--out', back, ...pngs);
    expect(a.code, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  }, 480_000); // six CLI runs from source

  it('fails in one line naming what does not map or is missing', () => {
    const missing = vision('import', join(work, 'nowhere'), '--out', join(work, 'x'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nowhere\/config\.json: missing/);
  });
});
