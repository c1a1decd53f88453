import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeSamples } from './samples.js';

describe('samples', () => {
  it("writes the files that the README's and --help's predict examples name, and says where", async () => {
    const shapes = join(mkdtempSync(join(tmpdir(), 'vision-samples-')), 'shapes');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      // `samples shapes/ --count 200` with the default --seed, as the examples run it.
      await writeSamples(`${shapes}/`, 200, 16, 1337);
      expect(write).toHaveBeenCalledWith(
        `wrote 200 16×16 PNG images to ${shapes}/{circle,cross,square,triangle}/\n`,
      );
    } finally {
      write.mockRestore();
    }
    const examples = ['../README.md', './cli.ts'].map((file) =>
      readFileSync(new URL(file, import.meta.url), 'utf8'),
    );
    const named = examples.flatMap((text) => [
      ...text.matchAll(/predict [^\n]*?((?: shapes\/\w+\/\d{4}\.png)+)/g),
    ]);
    expect(named).toHaveLength(2);
    for (const [, files] of named) {
      for (const file of files!.trim().split(' ')) {
        expect(existsSync(join(shapes, '..', file)), file).toBe(true);
      }
    }
  });
});
