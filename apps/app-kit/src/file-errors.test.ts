import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileAccessError } from './file-errors.js';
import { readTextLines } from './text-lines.js';

// The EACCES of a file inside a folder without permission, for machines where the tests run as
// root (which reads through any permission, so reliability.test.ts's chmod case is skipped).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, stat: vi.fn(actual.stat) };
});

describe('a file the app may not reach', () => {
  afterEach(() => vi.mocked(stat).mockReset());

  it('is "permission denied (EACCES)" with its path and exit code 3, not "no such file"', async () => {
    const path = '/data/locked/a.txt';
    vi.mocked(stat).mockRejectedValueOnce(
      Object.assign(new Error(`EACCES: permission denied, stat '${path}'`), {
        code: 'EACCES',
        path,
        syscall: 'stat',
      }),
    );
    const error = await readTextLines(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileAccessError);
    expect((error as Error).message).toBe(`${path}: permission denied (EACCES)`);
  });
});
