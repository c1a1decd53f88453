import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidBackendOptionError } from './errors.js';
import { intraOpThreadsFromEnv, onednnFromEnv } from './node.js';
import { selectBackend } from './select-backend.js';

describe('load-time settings of libtensorflow', () => {
  it('reads TF_ENABLE_ONEDNN_OPTS as libtensorflow does: 0 and false turn it off', () => {
    for (const off of ['0', 'false', 'FALSE', ' 0 ']) expect(onednnFromEnv(off)).toBe(false);
    for (const on of [undefined, '', '1', 'true', 'yes']) expect(onednnFromEnv(on)).toBe(true);
  });

  it('reads TF_NUM_INTRAOP_THREADS as a positive integer, else the default (undefined)', () => {
    expect(intraOpThreadsFromEnv('1')).toBe(1);
    expect(intraOpThreadsFromEnv('12')).toBe(12);
    for (const v of [undefined, '', '0', '-2', '1.5', 'two'])
      expect(intraOpThreadsFromEnv(v)).toBe(undefined);
  });

  it('rejects an intraOpThreads option that is not an integer ≥ 1', async () => {
    const error = await selectBackend('cpu', { intraOpThreads: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidBackendOptionError);
    expect((error as Error).message).toBe('invalid intraOpThreads: expected an integer ≥ 1, got 0');
  });

  it('rejects an onednn option that is not a boolean', async () => {
    const error = await selectBackend('cpu', { onednn: 'off' as unknown as boolean }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidBackendOptionError);
    expect((error as Error).message).toBe('invalid onednn: expected true or false, got "off"');
  });
});

// libtensorflow reads the setting once per process, so each case starts a Node process of its own.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tformer-load-settings-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const index = JSON.stringify(join(pkg, 'src', 'index.ts'));
const require = createRequire(import.meta.url);

function child(
  lines: string[],
  env: Record<string, string | undefined>,
): { out: Record<string, unknown>; stderr: string } {
  const script = join(scratch, `case-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(script, [`import { selectBackend } from ${index};`, ...lines].join('\n'));
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TF_CPP_MIN_LOG_LEVEL: '0',
    ...env,
  };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 300_000,
    env: childEnv,
  });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return { out: JSON.parse(run.stdout.trim().split('\n').at(-1)!), stderr: run.stderr };
}

const ONEDNN_ON_LOG = /oneDNN custom operations are on/;
const nodeUnderTest = (process.env.TFORMER_TEST_BACKENDS ?? '').split(',').includes('node');

describe.skipIf(!nodeUnderTest)(
  'selectBackend node with the onednn option (child processes)',
  () => {
    it('turns oneDNN off before libtensorflow loads, and refuses the other setting afterwards', () => {
      const { out, stderr } = child(
        [
          "const first = await selectBackend('node', { onednn: false });",
          "await selectBackend('node', { onednn: false });",
          "const refused = await selectBackend('node', { onednn: true }).catch((e) => e);",
          'console.log(JSON.stringify({ oneDNN: first.info.details.oneDNN,',
          '  env: process.env.TF_ENABLE_ONEDNN_OPTS, code: refused.code, message: refused.message }));',
        ],
        { TF_ENABLE_ONEDNN_OPTS: undefined },
      );
      expect(stderr).not.toMatch(ONEDNN_ON_LOG);
      expect(out).toMatchObject({ oneDNN: 'off', env: '0', code: 'TFORMER_BACKEND_OPTION' });
      expect(out.message).toMatch(
        /^invalid onednn: expected false, the setting libtensorflow already loaded with in this process .*got true$/,
      );
    });

    it('lets the option win over the environment, and says which setting runs', () => {
      const { out, stderr } = child(
        [
          "const s = await selectBackend('node', { onednn: true });",
          'console.log(JSON.stringify({ oneDNN: s.info.details.oneDNN }));',
        ],
        { TF_ENABLE_ONEDNN_OPTS: '0' },
      );
      expect(stderr).toMatch(ONEDNN_ON_LOG);
      expect(out).toEqual({ oneDNN: 'on' });
    });

    // /proc/self/status counts the process's threads on Linux.
    it.skipIf(process.platform !== 'linux')(
      'starts libtensorflow with the intra-op threads asked for, and refuses another count after',
      () => {
        const threads = (n: number) =>
          child(
            [
              "import { readFileSync } from 'node:fs';",
              `const s = await selectBackend('node', { intraOpThreads: ${n} });`,
              "const refused = await selectBackend('node', { intraOpThreads: " +
                (n + 1) +
                ' }).catch((e) => e);',
              "const status = readFileSync('/proc/self/status', 'utf8');",
              'console.log(JSON.stringify({ threads: Number(/Threads:\\s+(\\d+)/.exec(status)[1]),',
              '  details: s.info.details.threads, code: refused.code }));',
            ],
            { TF_NUM_INTRAOP_THREADS: undefined },
          ).out;
        const [one, seven] = [threads(1), threads(7)];
        expect(one).toMatchObject({
          details: 'libtensorflow, 1 intra-op',
          code: 'TFORMER_BACKEND_OPTION',
        });
        expect(seven.details).toBe('libtensorflow, 7 intra-op');
        // libtensorflow makes its intra-op pool as it loads: six more threads in the process.
        expect((seven.threads as number) - (one.threads as number)).toBeGreaterThanOrEqual(5);
      },
    );

    it('knows the setting of a tfjs-node the program imported itself', () => {
      const { out } = child(
        [
          `await import(${JSON.stringify(pathToFileURL(require.resolve('@tensorflow/tfjs-node')).href)});`,
          "const refused = await selectBackend('node', { onednn: false }).catch((e) => e);",
          "const s = await selectBackend('node');",
          'console.log(JSON.stringify({ code: refused.code, oneDNN: s.info.details.oneDNN }));',
        ],
        { TF_ENABLE_ONEDNN_OPTS: undefined },
      );
      expect(out).toEqual({ code: 'TFORMER_BACKEND_OPTION', oneDNN: 'on' });
    });
  },
);
