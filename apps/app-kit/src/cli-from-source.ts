import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A function that runs an app's CLI from its TypeScript source in a child process, as a user
 * would run it (exit code, stdout, stderr), on the `backend` given (wasm by default). The app's
 * own tsconfig is passed to tsx so `@tformer/*` resolve to the workspace sources, whatever the
 * working directory. For the apps' tests.
 */
export function cliFromSource(
  cli: URL,
  { backend = 'wasm' } = {},
): (...args: string[]) => CliResult {
  const file = fileURLToPath(cli);
  const tsconfig = join(dirname(file), '..', 'tsconfig.json');
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  return (...args) => {
    const result = spawnSync(process.execPath, [tsx, '--tsconfig', tsconfig, file, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TFORMER_BACKEND: backend, FORCE_COLOR: '0' },
      timeout: 240_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}

/** The lines of a CLI's stderr besides the one naming the backend: what an error printed. */
export const errorLines = (stderr: string): string[] =>
  stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('backend '));
