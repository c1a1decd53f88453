import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@tformer/nn/node';
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

  it('returns undefined before the first save, then the last saved files, with a manifest', async () => {
    const store = new DirectoryCheckpointStore(path);
    expect(await store.load()).toBeUndefined();
    await store.save({ 'a.bin': bytes(1, 2), 'trainer.json': bytes(3) }, { step: 1 });
    await store.save({ 'a.bin': bytes(4), 'trainer.json': bytes(5, 6) }, { step: 2 });
    expect(await store.load()).toEqual({ 'a.bin': bytes(4), 'trainer.json': bytes(5, 6) });
    expect(await readdir(path)).toEqual(['ckpt-000001', 'ckpt-000002']);
    const manifest = JSON.parse(await readFile(join(path, 'ckpt-000002', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'tformer-checkpoint',
      version: 1,
      sequence: 2,
      step: 2,
      files: {
        'a.bin': {
          bytes: 1,
          // sha256 of the single byte 0x04
          sha256: 'e52d9c508c502347344d8c07ad91cbd6068afc75ff6292f062a09ca381c89e71',
        },
      },
    });
  });

  it('keeps the newest `keep` checkpoints plus the best by validation loss', async () => {
    const store = new DirectoryCheckpointStore(path, { keep: 2 });
    const losses = [3, 1, 2, 4, 5];
    for (const [i, validationLoss] of losses.entries())
      await store.save({ 'a.bin': bytes(i) }, { step: i + 1, validationLoss });
    const kept = await store.list();
    expect(kept.map((c) => [c.manifest.step, c.manifest.validationLoss])).toEqual([
      [2, 1],
      [4, 4],
      [5, 5],
    ]);
    expect(await store.load()).toEqual({ 'a.bin': bytes(4) });
  });

  it('skips a damaged newest checkpoint for the one before, with a warning; all damaged is an error', async () => {
    const warnings: string[] = [];
    const store = new DirectoryCheckpointStore(path, { onWarning: (m) => warnings.push(m) });
    await store.save({ 'a.bin': bytes(1) }, { step: 1 });
    await store.save({ 'a.bin': bytes(2) }, { step: 2 });
    await writeFile(join(path, 'ckpt-000002', 'a.bin'), bytes(9)); // bit rot: same size
    expect(await store.load()).toEqual({ 'a.bin': bytes(1) });
    expect(warnings).toEqual([
      expect.stringMatching(/ckpt-000002: a\.bin does not match its SHA-256/),
    ]);
    await rm(join(path, 'ckpt-000001', 'a.bin'));
    await expect(store.load()).rejects.toThrow(CheckpointError);
    await expect(store.load()).rejects.toThrow(
      /no intact checkpoint: .*a\.bin unreadable \(ENOENT\)/,
    );
  });

  it('keeps the previous checkpoint when a save fails half-way, and cleans up on the next save', async () => {
    const store = new DirectoryCheckpointStore(path);
    await store.save({ 'a.bin': bytes(1) });
    // The second file is not bytes: the save throws before anything is staged.
    const broken = { 'b.bin': bytes(2), 'c.bin': 'not bytes' as unknown as Uint8Array };
    await expect(store.save(broken)).rejects.toThrow(/c.bin': expected a Uint8Array, got string/);
    expect(await store.load()).toEqual({ 'a.bin': bytes(1) });
    // A save killed while staging leaves a staging directory without a manifest.
    await mkdir(join(path, '.staging-000002-killed'));
    await writeFile(join(path, '.staging-000002-killed', 'a.bin'), bytes(9));
    expect(await store.load()).toEqual({ 'a.bin': bytes(1) });
    await store.save({ 'a.bin': bytes(7) });
    expect(await readdir(path)).toEqual(['ckpt-000001', 'ckpt-000002']);
    expect(await store.load()).toEqual({ 'a.bin': bytes(7) });
  });

  it('promotes a staged checkpoint that was complete (its manifest verifies) when the process died', async () => {
    const store = new DirectoryCheckpointStore(path);
    await store.save({ 'a.bin': bytes(1) }, { step: 1 });
    await store.save({ 'a.bin': bytes(2) }, { step: 2 });
    // As if killed between writing the manifest and the rename.
    await rename(join(path, 'ckpt-000002'), join(path, '.staging-000002-abc'));
    expect(await store.load()).toEqual({ 'a.bin': bytes(2) });
    expect(await readdir(path)).toEqual(['ckpt-000001', 'ckpt-000002']);
  });

  it('still loads a checkpoint of the layout before manifests (files directly in the directory)', async () => {
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'trainer.json'), bytes(1));
    await writeFile(join(path, 'model.safetensors'), bytes(2));
    const store = new DirectoryCheckpointStore(path);
    expect(await store.load()).toEqual({
      'model.safetensors': bytes(2),
      'trainer.json': bytes(1),
    });
  });

  it('rejects file names that are paths or the manifest', async () => {
    const store = new DirectoryCheckpointStore(path);
    await expect(store.save({ '../escape': bytes(1) })).rejects.toThrow(CheckpointError);
    await expect(store.save({ 'manifest.json': bytes(1) })).rejects.toThrow(CheckpointError);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind; a failed write keeps the old', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tformer-atomic-'));
    try {
      const file = join(dir, 'a.json');
      await writeFile(file, 'old');
      await writeFileAtomic(file, 'new');
      expect(await readFile(file, 'utf8')).toBe('new');
      expect(await readdir(dir)).toEqual(['a.json']);
      await expect(writeFileAtomic(join(dir, 'missing', 'a.json'), 'x')).rejects.toThrow(/ENOENT/);
      expect(await readdir(dir)).toEqual(['a.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
