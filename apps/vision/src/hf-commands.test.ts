import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { tiny } from './fixtures/tiny.js';

const vision = new AppCliTest('vision-hf-cli', new URL('./cli.ts', import.meta.url), { tiny });
const { work } = vision;

describe('vision export --format hf / import', () => {
  it('exports a run as a ViTForImageClassification folder and imports it back: same predictions', async () => {
    const run = join(work, 'run');
    await vision.expectTrains(run);
    const samples = join(work, 'samples');
    expect(vision.run('samples', samples, '--count', '8').code).toBe(0);
    const pngs = readdirSync(samples, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.png'))
      .map((f) => join(samples, f));
    expect(pngs.length).toBeGreaterThan(0);
    vision.expectHfRoundTrip({
      run,
      exportArgs: ['--out', run],
      files: /to .*hf: model\.safetensors, config\.json/,
      config: {
        model_type: 'vit',
        num_channels: 1,
        image_size: 16,
        id2label: { 0: 'circle', 1: 'cross', 2: 'square', 3: 'triangle' },
      },
      imported: /classes circle, cross, square, triangle/,
      command: (dir) => ['predict', '--out', dir, ...pngs],
    });
  }, 900_000); // seven CLI runs from source: a hang detector, sized for a loaded 2-core machine

  it('fails in one line naming what does not map or is missing', () => {
    vision.expectImportNamesMissingFolder();
  });
});
