import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePng, readImageFolder, readPng } from './png-folder.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'vision-png-'));
const gradient = (size: number) =>
  Float32Array.from({ length: size * size }, (_, i) => (i % size) / (size - 1));

describe('PNG folders', () => {
  it('decodes what it encodes, and resizes by area averaging', async () => {
    const dir = await tempDir();
    const file = join(dir, 'g.png');
    await writeFile(file, encodePng(gradient(8), 8));
    const same = await readPng(file, 8);
    for (let i = 0; i < 64; i++) expect(same[i]).toBeCloseTo(gradient(8)[i]!, 2);
    const half = await readPng(file, 4);
    expect(half[0]).toBeCloseTo((0 + 1 / 7) / 2, 2); // mean of the first two columns
    expect(half[3]).toBeCloseTo((6 / 7 + 1) / 2, 2);
  });

  it('reads <folder>/<class>/*.png with sorted class names, skipping hidden files', async () => {
    const dir = await tempDir();
    for (const name of ['b', 'a']) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, '1.png'), encodePng(gradient(4), 4));
    }
    await writeFile(join(dir, 'a', '.DS_Store'), 'junk');
    const folder = await readImageFolder(dir, 4);
    expect(folder.classes).toEqual(['a', 'b']);
    expect(folder.images.map((i) => i.label)).toEqual([0, 1]);
    expect(folder.files).toEqual([join(dir, 'a', '1.png'), join(dir, 'b', '1.png')]);
  });

  it('names the file that is not a PNG, and the folder that is empty or missing', async () => {
    const dir = await tempDir();
    await expect(readImageFolder(join(dir, 'none'), 4)).rejects.toThrow(/none: no such folder/);
    const torn = join(dir, 'torn.png');
    await writeFile(torn, encodePng(gradient(4), 4).subarray(0, 40)); // a PNG cut short
    await expect(readPng(torn, 4)).rejects.toThrow(/torn\.png: not a readable PNG image \(/);
    await expect(readPng(join(dir, 'gone.png'), 4)).rejects.toThrow(
      /gone\.png: no such file or folder \(ENOENT\)/,
    );
    await expect(readImageFolder(dir, 4)).rejects.toThrow(
      /: empty: expected one sub-folder of PNG images per class/,
    );
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await expect(readImageFolder(dir, 4)).rejects.toThrow(/a: no images in this class folder/);
    await writeFile(join(dir, 'a', '1.png'), encodePng(gradient(4), 4));
    await writeFile(join(dir, 'b', 'notes.txt'), 'not an image');
    await expect(readImageFolder(dir, 4)).rejects.toThrow(
      /b\/notes\.txt: not a PNG image \(it does not start with the PNG signature\)/,
    );
  });
});
