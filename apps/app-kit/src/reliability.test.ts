import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createProgress,
  DataFileError,
  FileAccessError,
  fileError,
  InterruptedError,
  LOCK_FILE,
  RunDir,
  RunLockedError,
  readTextLines,
  runCli,
  UsageError,
} from './index.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'app-kit-rel-'));
const errno = (code: string, path: string) =>
  Object.assign(new Error(`${code}: something, open '${path}'`), { code, path, syscall: 'open' });

describe('runCli exit codes', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it.each([
    ['ENOSPC', 3, /^error: runs\/a\/metrics\.jsonl: no space left on the device \(ENOSPC\)\n$/],
    ['EACCES', 3, /^error: runs\/a\/metrics\.jsonl: permission denied \(EACCES\)\n$/],
    ['EROFS', 3, /read-only file system \(EROFS\)/],
    ['ENOENT', 2, /^error: runs\/a\/metrics\.jsonl: no such file or folder \(ENOENT\)\n$/],
    ['ENOTDIR', 2, /a part of the path is a file, not a folder \(ENOTDIR\)/],
  ])('prints a raw %s as one line naming the path, exit %i', async (code, exit, message) => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runCli(async () => {
      throw errno(code, 'runs/a/metrics.jsonl');
    });
    expect(process.exitCode).toBe(exit);
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]![0])).toMatch(message);
  });

  it('exits 3 for a locked run, 4 for a diverged one, 130/143 when interrupted', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runCli(async () => {
      throw new RunLockedError('runs/a/.lock: in use');
    });
    expect(process.exitCode).toBe(3);
    await runCli(async () => {
      throw Object.assign(new Error('gradients are not finite at step 7'), {
        name: 'NonFiniteGradientError',
      });
    });
    expect(process.exitCode).toBe(4);
    await runCli(async () => {
      throw new InterruptedError('SIGINT', 'interrupted');
    });
    expect(process.exitCode).toBe(130);
    await runCli(async () => {
      throw new InterruptedError('SIGTERM', 'interrupted');
    });
    expect(process.exitCode).toBe(143);
  });

  it('fileError types Node errors: input (DataFileError) or machine (FileAccessError)', () => {
    expect(fileError(errno('ENOENT', 'a'))).toBeInstanceOf(DataFileError);
    expect(fileError(errno('EACCES', 'a'))).toBeInstanceOf(FileAccessError);
    expect(fileError(errno('ENOSPC', 'a'), 'other')).toMatchObject({ path: 'other' });
    const bug = new TypeError('x');
    expect(fileError(bug)).toBe(bug);
  });
});

describe('files the user gives', () => {
  // Root reads through any permission: the EACCES case runs only as another user.
  const root = process.getuid?.() === 0;
  it.skipIf(root)(
    'a file inside a folder without permission is EACCES, not "no such file"',
    async () => {
      const dir = await tempDir();
      await mkdir(join(dir, 'locked'));
      await writeFile(join(dir, 'locked', 'a.txt'), 'x\n');
      await chmod(join(dir, 'locked'), 0o000);
      try {
        const error = await readTextLines(join(dir, 'locked', 'a.txt')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FileAccessError);
        expect(String((error as Error).message)).toMatch(/a\.txt: permission denied \(EACCES\)/);
      } finally {
        await chmod(join(dir, 'locked'), 0o755);
      }
    },
  );

  it('a missing file is still "no such file"; a path through a file is ENOTDIR', async () => {
    const dir = await tempDir();
    await expect(readTextLines(join(dir, 'none.txt'))).rejects.toThrow(/none\.txt: no such file/);
    await writeFile(join(dir, 'f'), 'x');
    await expect(readTextLines(join(dir, 'f', 'a.txt'))).rejects.toThrow(
      /a part of the path is a file, not a folder \(ENOTDIR\)/,
    );
  });
});

describe('RunDir reliability', () => {
  it('skips a torn last line of metrics.jsonl with a warning, and truncation drops it and later steps', async () => {
    const run = await new RunDir(join(await tempDir(), 'run')).create();
    const warnings: string[] = [];
    run.warn = (m) => warnings.push(m);
    for (const step of [1, 2, 3, 4]) await run.appendMetrics({ step, split: 'train', loss: step });
    await writeFile(run.metricsPath, `${await readFile(run.metricsPath, 'utf8')}{"step":5,"spl`);
    expect((await run.readMetrics()).map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(warnings).toEqual([expect.stringMatching(/metrics\.jsonl:5: skipped a torn line/)]);
    expect(await run.truncateMetrics(2)).toBe(3); // steps 3, 4 and the torn line
    expect(await readFile(run.metricsPath, 'utf8')).toMatch(
      /^\{[^\n]*"step":1[^\n]*\n\{[^\n]*"step":2[^\n]*\n$/,
    );
    expect(await run.truncateMetrics(2)).toBe(0);
  });

  it('refuses to train into a run directory that holds a run, naming resume, --force and --out', async () => {
    const path = join(await tempDir(), 'run');
    const first = new RunDir(path);
    await first.prepareForTraining({ force: false });
    await first.writeConfig({ a: 1 });
    await first.appendMetrics({ step: 1, split: 'train', loss: 1 });
    first.unlock();
    const again = new RunDir(path);
    const error = await again.prepareForTraining({ force: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /already holds a trained run: .*resume --out .*--force.*new --out/,
    );
    expect(await again.readConfig()).toEqual({ a: 1 }); // untouched
    await again.prepareForTraining({ force: true, extraFiles: ['tokenizer.json'] });
    expect(await again.hasConfig()).toBe(false);
    expect(await again.readMetrics()).toEqual([]);
    again.unlock();
  });

  it('says "nothing to resume" for a run stopped before its first checkpoint, and names a --out that is a file', async () => {
    const dir = await tempDir();
    const run = new RunDir(join(dir, 'run'));
    await run.prepareForTraining({ force: false });
    await run.appendMetrics({ step: 1, split: 'train', loss: 1 });
    run.unlock();
    await expect(run.readConfig()).rejects.toThrow(
      /nothing to resume or load: the run was stopped before its first checkpoint/,
    );
    await expect(run.requireSavedModel()).rejects.toThrow(UsageError);
    await writeFile(join(dir, 'file'), 'x');
    await expect(new RunDir(join(dir, 'file')).create()).rejects.toThrow(
      /file: --out is a file, not a folder/,
    );
  });

  it('locks the run: a second writer stops with one line naming the holder; a dead holder is stale', async () => {
    const path = join(await tempDir(), 'run');
    const a = new RunDir(path);
    await a.create();
    await a.lock();
    const owner = JSON.parse(await readFile(join(path, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    // Another live process holds it (this test's parent, say).
    await writeFile(join(path, LOCK_FILE), JSON.stringify({ ...owner, pid: process.ppid }));
    const b = new RunDir(path);
    await expect(b.lock()).rejects.toThrow(RunLockedError);
    await expect(b.lock()).rejects.toThrow(
      new RegExp(`in use by process ${process.ppid} on ${hostname()}`),
    );
    // A process that has exited: its lock is stale and taken over.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(join(path, LOCK_FILE), JSON.stringify({ ...owner, pid: Number(gone.stdout) }));
    await b.lock();
    expect(JSON.parse(await readFile(join(path, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    b.unlock();
    await expect(readFile(join(path, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    a.unlock(); // a's release must not remove b's lock twice: a no-op here
  });
});

describe('progress ETA of a resumed run', () => {
  afterEach(() => vi.restoreAllMocks());
  it('is computed from the steps done in this process', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    const lines: string[] = [];
    (stream as unknown as PassThrough).on('data', (chunk) => lines.push(String(chunk)));
    const progress = createProgress({ label: 'train', total: 100, stream, every: 1, start: 80 });
    progress.update(80); // the resumed step: nothing done yet
    now = 4000; // 4 s for one step: 19 steps left ≈ 76 s
    progress.update(81, { loss: 1 });
    expect(lines).toEqual(['train 81/100  loss 1.0000  eta 76s\n']);
  });
});
