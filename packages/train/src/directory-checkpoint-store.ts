// Node-only: exported from `@tformer/train/node`, never from the runtime-neutral index.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CheckpointStore } from './checkpoint-store.js';
import { CheckpointError } from './errors.js';

/**
 * A {@link CheckpointStore} that keeps the checkpoint as a directory of files
 * (`ckpt/model.safetensors`, `ckpt/optimizer.safetensors`, `ckpt/trainer.json`) and replaces
 * it without ever leaving no good checkpoint behind:
 *
 * 1. every file is written to `ckpt.tmp-<id>/<name>.partial`, flushed to disk, renamed to
 *    `<name>`;
 * 2. the complete new directory is swapped in: `ckpt` → `ckpt.old-<id>`, `ckpt.tmp-<id>` →
 *    `ckpt`, then the old one is removed.
 *
 * POSIX cannot rename a directory over a non-empty one, hence the two renames; if the process
 * dies between them, `load` finds `ckpt.old-<id>` and returns it. Leftover `.tmp-` directories
 * of interrupted saves are removed by the next save.
 *
 * @param path the checkpoint directory; its parent is created if needed.
 *
 * @example
 * ```ts
 * import { DirectoryCheckpointStore } from '@tformer/train/node';
 * const store = new DirectoryCheckpointStore('runs/shakespeare/ckpt');
 * ```
 */
export class DirectoryCheckpointStore implements CheckpointStore {
  constructor(readonly path: string) {}

  async save(files: Record<string, Uint8Array>): Promise<void> {
    const parent = dirname(this.path);
    await mkdir(parent, { recursive: true });
    await this.removeLeftovers();
    const id = randomUUID();
    const staging = `${this.path}.tmp-${id}`;
    await mkdir(staging);
    for (const [name, bytes] of Object.entries(files)) {
      if (name !== basename(name) || name.endsWith('.partial')) {
        throw new CheckpointError(
          this.path,
          `file name '${name}' must be a plain name without '.partial'`,
        );
      }
      if (!(bytes instanceof Uint8Array)) {
        throw new CheckpointError(
          join(this.path, name),
          `expected a Uint8Array, got ${typeof bytes}`,
        );
      }
      await writeDurably(join(staging, `${name}.partial`), bytes);
      await rename(join(staging, `${name}.partial`), join(staging, name));
    }
    await syncDirectory(staging);
    const previous = `${this.path}.old-${id}`;
    const hadPrevious = await exists(this.path);
    if (hadPrevious) await rename(this.path, previous);
    await rename(staging, this.path);
    await syncDirectory(parent); // make the swap itself durable before deleting the old copy
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  }

  async load(): Promise<Record<string, Uint8Array> | undefined> {
    const dir = (await exists(this.path)) ? this.path : await this.interruptedSwap();
    if (!dir) return undefined;
    const files: Record<string, Uint8Array> = {};
    for (const name of await readdir(dir)) {
      if (name.endsWith('.partial')) continue;
      files[name] = new Uint8Array(await readFile(join(dir, name)));
    }
    return files;
  }

  /** The previous checkpoint moved aside by a save that died before its second rename. */
  private async interruptedSwap(): Promise<string | undefined> {
    const aside = await this.siblings('.old-');
    if (aside.length > 1) {
      throw new CheckpointError(
        this.path,
        `missing, and several set-aside copies exist (${aside.join(', ')}): keep one`,
      );
    }
    return aside[0];
  }

  private async removeLeftovers(): Promise<void> {
    for (const dir of await this.siblings('.tmp-')) await rm(dir, { recursive: true, force: true });
    if (await exists(this.path)) {
      for (const dir of await this.siblings('.old-'))
        await rm(dir, { recursive: true, force: true });
    } else {
      // A swap was interrupted: put the set-aside checkpoint back before replacing it.
      const aside = await this.interruptedSwap();
      if (aside) await rename(aside, this.path);
    }
  }

  private async siblings(marker: string): Promise<string[]> {
    const prefix = `${basename(this.path)}${marker}`;
    const names = await readdir(dirname(this.path)).catch(() => [] as string[]);
    return names.filter((n) => n.startsWith(prefix)).map((n) => join(dirname(this.path), n));
  }
}

async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync(); // the rename must never publish a file whose bytes are not on disk yet
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (the renames in it); a no-op where the OS refuses (Windows). */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
