import { describe, expect, it } from 'vitest';
import { userPath } from './run-dir.js';

describe('userPath', () => {
  it('names a run directory from where the user ran pnpm when pnpm moved into a package', () => {
    // `pnpm demo` at /repo runs apps/textgen's start script in /repo/apps/textgen.
    expect(userPath('runs/textgen', '/repo', '/repo/apps/textgen')).toBe(
      'apps/textgen/runs/textgen',
    );
    expect(userPath('.', '/repo', '/repo/apps/textgen')).toBe('apps/textgen');
  });

  it('keeps the path where the process runs where the user stands, elsewhere, or without pnpm', () => {
    expect(userPath('runs/x', '/repo', '/repo')).toBe('runs/x');
    expect(userPath('runs/x', '/repo/apps/textgen', '/tmp/work')).toBe('runs/x');
    expect(userPath('runs/x', undefined, '/repo/apps/textgen')).toBe('runs/x');
    expect(userPath('/data/runs/x', '/repo', '/repo/apps/textgen')).toBe('/data/runs/x');
  });
});
