import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes `data` to `path` through a temporary file in the same directory and a rename (Node
 * only), so a crash never leaves a half-written file and a failed write leaves the old one intact.
 */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
