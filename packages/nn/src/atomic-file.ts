// Node-only: exported from `@tformer/nn/node`, never from the runtime-neutral index.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crashPoint } from './crash-point.js';

/**
 * Writes `data` to `path` so that a reader sees either the old file or the complete new one,
 * never a torn write: the bytes go to a temporary file in the same directory
 * (`.<name>.<random>.tmp`), are flushed to disk (`fsync`), and the temporary file is renamed over
 * `path`; the directory entry is flushed too. On any failure (disk full, permission) the
 * temporary file is removed and the error is rethrown, the old file untouched.
 *
 * The one atomic writer of the workspace: checkpoints, saved models, run directories and the apps
 * use it.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from '@tformer/nn/node';
 * await writeFileAtomic('runs/a/config.json', JSON.stringify(config));
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync(); // the rename must never publish a file whose bytes are not on disk yet
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  crashPoint('atomic-before-rename');
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Flushes a directory's entries (the renames in it); a no-op where the OS refuses (Windows). */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
