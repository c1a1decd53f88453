import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImages } from './data.js';
import { encodePng } from './png-folder.js';

/** A folder of `count` 4×4 PNGs per class, each image filled with its index / 10. */
async function folder(classes: readonly string[], count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vision-data-'));
  for (const name of classes) {
    await mkdir(join(dir, name));
    for (let i = 0; i < count; i++)
      await writeFile(join(dir, name, `${i}.png`), encodePng(new Float32Array(16).fill(i / 10), 4));
  }
  return dir;
}

describe('loadImages', () => {
  it('holds out --test-size shuffled images of --data without a --test folder', async () => {
    const dataPath = await folder(['a', 'b'], 6);
    const set = await loadImages({ dataPath }, 4, 4, 1);
    expect([set.train.length, set.valid, set.test.length]).toEqual([8, null, 4]);
    await expect(loadImages({ dataPath }, 4, 12, 1)).rejects.toThrow(
      /12 images: need more than --test-size 12/,
    );
  });

  it('reads every image of --valid and --test folders, which need the classes of --data', async () => {
    const [dataPath, validPath, testPath] = await Promise.all([
      folder(['a', 'b'], 3),
      folder(['a', 'b'], 2),
      folder(['a', 'b'], 5),
    ]);
    const set = await loadImages({ dataPath, validPath, testPath }, 4, 400, 1);
    expect([set.train.length, set.valid?.length, set.test.length]).toEqual([6, 4, 10]);
    expect(set.test.map((i) => i.label)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(set.source).toContain(`valid: ${validPath}, test: ${testPath}`);
    const other = await folder(['a', 'c'], 1);
    await expect(loadImages({ dataPath, testPath: other }, 4, 1, 1)).rejects.toThrow(
      /classes a, c differ from --data's \(a, b\)/,
    );
  });
});
