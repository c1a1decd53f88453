import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A fresh directory under the system's temporary folder (named `prefix` + random), made before
 * the surrounding suite's tests and removed with everything in it after them.
 *
 * @example
 * ```ts
 * const root = temporaryDirectory('tformer-save-');
 * it('writes', async () => writeFile(join(root(), 'a.txt'), 'a'));
 * ```
 */
export function temporaryDirectory(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
