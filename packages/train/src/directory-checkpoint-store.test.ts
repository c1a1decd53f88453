import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryCheckpointStore } from './directory-checkpoint-store.js';
import { CheckpointError } from './errors.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('DirectoryCheckpointStore', () => {
  let root: string;
  let path: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tformer-ckpt-'));
    path = join(root, 'runs', 'ckpt');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('returns undefined before the first save, then the last saved files', async () => {
    const store = new DirectoryCheckpointStore(path);
    expect(await store.load()).toBeUndefined();
    await store.save({ 'a.bin': bytes(1, 2), 'trainer.json': bytes(3) });
    await store.save({ 'a.bin': bytes(4), 'trainer.json': bytes(5, 6) });
    expect(await store.load()).toEqual({ 'a.bin': bytes(4), 'trainer.json': bytes(5, 6) });
    // Nothing but the checkpoint is left beside it.
    expect(await readdir(join(root, 'runs'))).toEqual(['ckpt']);
  });

  it('keeps the previous checkpoint when a save fails half-way, and cleans up on the next save', async () => {
    const store = new DirectoryCheckpointStore(path);
    await store.save({ 'a.bin': bytes(1) });
    // The second file is not bytes: the save throws after staging the first one.
    const broken = { 'b.bin': bytes(2), 'c.bin': 'not bytes' as unknown as Uint8Array };
    await expect(store.save(broken)).rejects.toThrow(/c.bin': expected a Uint8Array, got string/);
    expect(await store.load()).toEqual({ 'a.bin': bytes(1) });
    expect((await readdir(join(root, 'runs'))).some((n) => n.startsWith('ckpt.tmp-'))).toBe(true);
    await store.save({ 'a.bin': bytes(7) });
    expect(await readdir(join(root, 'runs'))).toEqual(['ckpt']);
    expect(await store.load()).toEqual({ 'a.bin': bytes(7) });
  });

  it('recovers the set-aside checkpoint when a save died between its two renames', async () => {
    const store = new DirectoryCheckpointStore(path);
    await store.save({ 'a.bin': bytes(1) });
    await rename(path, `${path}.old-crashed`);
    await mkdir(`${path}.tmp-crashed`);
    await writeFile(join(`${path}.tmp-crashed`, 'a.bin.partial'), bytes(9));
    expect(await store.load()).toEqual({ 'a.bin': bytes(1) });
    await store.save({ 'a.bin': bytes(2) });
    expect(await readdir(join(root, 'runs'))).toEqual(['ckpt']);
    expect(await store.load()).toEqual({ 'a.bin': bytes(2) });
  });

  it('rejects file names that are paths', async () => {
    const store = new DirectoryCheckpointStore(path);
    await expect(store.save({ '../escape': bytes(1) })).rejects.toThrow(CheckpointError);
  });
});
