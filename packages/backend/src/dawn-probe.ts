import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

/** One way to ask Dawn for an adapter: instance options and the adapter request that goes with them. */
export interface DawnAttempt {
  options: string[];
  request: Record<string, unknown>;
}

/** What a child process found: the first attempt that gave an adapter, or why none did. */
export type DawnProbe =
  | { found: true; attempt: DawnAttempt; info: Record<string, unknown> }
  | { found: false; failures: string[] };

// Runs in the child. Dawn prints its native warnings (a missing libvulkan, limits it reduced) to the
// process's own stderr from C++, where no JS option reaches them: only a separate process keeps them
// off the user's terminal. The child answers with one JSON line on stdout.
const CHILD = `
const [dawnPath, attemptsJson] = process.argv.slice(1);
const dawn = (await import('node:module')).createRequire(dawnPath)(dawnPath);
const failures = [];
for (const attempt of JSON.parse(attemptsJson)) {
  const label = 'Dawn [' + (attempt.options.join(' ') || 'default') + ']';
  try {
    const adapter = await dawn.create(attempt.options).requestAdapter(attempt.request);
    if (adapter) {
      const i = adapter.info ?? {};
      const info = { vendor: i.vendor, architecture: i.architecture, device: i.device,
        description: i.description, isFallbackAdapter: i.isFallbackAdapter };
      process.stdout.write(JSON.stringify({ found: true, attempt, info }) + '\\n');
      process.exit(0);
    }
    failures.push(label + ': no adapter');
  } catch (error) {
    failures.push(label + ': ' + (error?.message ?? String(error)));
  }
}
process.stdout.write(JSON.stringify({ found: false, failures }) + '\\n');
process.exit(0);
`;

/**
 * Tries `attempts` in order in a child Node process and reports the first that gives a WebGPU
 * adapter. The caller then creates Dawn in-process with exactly that attempt, so neither the failing
 * attempts' warnings nor (when the adapter is unwanted, e.g. a software one under `auto`) Mesa's
 * OpenGL driver ever reach this process. Rejects when the child cannot run or answer; the caller
 * then falls back to trying in-process.
 */
export function probeDawn(
  attempts: readonly DawnAttempt[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<DawnProbe> {
  const dawnPath = createRequire(import.meta.url).resolve('webgpu');
  const args = ['--input-type=module', '-e', CHILD, dawnPath, JSON.stringify(attempts)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, timeout: timeoutMs }, (error, stdout) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as DawnProbe);
      } catch {
        reject(error ?? new Error(`the Dawn probe answered ${JSON.stringify(line.slice(0, 200))}`));
      }
    });
  });
}
