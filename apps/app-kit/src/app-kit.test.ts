import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkRunClasses,
  createProgress,
  DataFileError,
  RunDir,
  runCli,
  runProgram,
  UsageError,
} from './index.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'app-kit-'));

describe('runCli', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('prints a data-file error as one line naming file and line, exit code 2', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runCli(async () => {
      throw new DataFileError('train.tsv', 'expected label<TAB>text, found no tab', 7);
    });
    expect(stderr).toHaveBeenCalledWith(
      'error: train.tsv:7: expected label<TAB>text, found no tab\n',
    );
    expect(process.exitCode).toBe(2);
  });

  it.each(['SavedModelError', 'CheckpointError'])(
    'reports a saved model or checkpoint that does not fit (%s) as a user error, naming the file',
    async (name) => {
      const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      await runCli(async () => {
        // As @tformer/model's SavedModelError and @tformer/train's CheckpointError: an error with that name.
        throw Object.assign(new Error("run/model/model.safetensors: missing 'embed.table'"), {
          name,
        });
      });
      expect(process.exitCode).toBe(2);
      expect(write).toHaveBeenCalledWith(
        "error: run/model/model.safetensors: missing 'embed.table'\n",
      );
    },
  );

  it('treats usage errors the same way and lets bugs through with their stack', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runCli(async () => {
      throw new UsageError('--steps: expected an integer ≥ 1');
    });
    expect(process.exitCode).toBe(2);
    await expect(
      runCli(async () => {
        throw new TypeError('a bug');
      }),
    ).rejects.toThrow('a bug');
  });
});

describe('createProgress', () => {
  it('writes plain lines with step, loss, tokens/s and ETA when not on a terminal', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    const lines: string[] = [];
    (stream as unknown as PassThrough).on('data', (chunk) => lines.push(String(chunk)));
    const progress = createProgress({ label: 'train', total: 4, stream, every: 2 });
    for (let step = 1; step <= 4; step++)
      progress.update(step, { loss: 2.5 / step, tokensPerSecond: 1000 });
    progress.stop();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^train 2\/4 {2}loss 1\.2500 {2}1000 tok\/s {2}eta \d+s\n$/);
    expect(lines[1]).toMatch(/^train 4\/4 {2}loss 0\.6250/);
  });
});

describe('RunDir', () => {
  it('round-trips config, appends metrics and draws the loss curve as SVG', async () => {
    const run = await new RunDir(join(await tempDir(), 'run')).create();
    await run.writeConfig({ model: 'tiny' });
    expect(await run.readConfig()).toEqual({ model: 'tiny' });
    for (const [step, loss] of [
      [0, 4.2],
      [10, 3.1],
      [20, 2.4],
    ] as const) {
      await run.appendMetrics({ step, split: 'train', loss });
    }
    await run.appendMetrics({ step: 20, split: 'val', loss: 2.6 });
    expect((await run.readMetrics()).map((m) => m.loss)).toEqual([4.2, 3.1, 2.4, 2.6]);
    const svg = await readFile(await run.writeLossPlot('tiny run'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('tiny run');
    expect(svg).toMatch(/<path[^>]*d="M/); // the drawn lines
    expect(svg).toContain('val');
  });

  it('names the file when a run directory has no config', async () => {
    const run = new RunDir(await tempDir());
    await expect(run.readConfig()).rejects.toThrow(DataFileError);
    await expect(run.readConfig()).rejects.toThrow(/config\.json: no config\.json here/);
  });
});

describe('checkRunClasses', () => {
  it("accepts the run's classes and names the source when they changed", () => {
    expect(() =>
      checkRunClasses('a.tsv', ['neg', 'pos'], ['neg', 'pos'], 'the file'),
    ).not.toThrow();
    const changed = () =>
      checkRunClasses('a.tsv', ['neg', 'pos', 'odd'], ['neg', 'pos'], 'the file');
    expect(changed).toThrow(DataFileError);
    expect(changed).toThrow(
      "a.tsv: classes neg, pos, odd differ from the run's (neg, pos): the file changed since training",
    );
    expect(() => checkRunClasses('d/', ['b', 'a'], ['a', 'b'], 'the folder')).toThrow(
      /the folder changed since training/,
    );
  });
});

describe('runProgram', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  /** A program with a `train --steps <n>` subcommand, its output collected. */
  function program(): { command: Command; printed: string[]; ran: string[] } {
    const printed: string[] = [];
    const ran: string[] = [];
    const command = new Command('tformer-test').configureOutput({
      writeOut: (text) => printed.push(text),
      writeErr: (text) => printed.push(text),
    });
    command
      .command('train')
      .requiredOption('--steps <n>', 'steps')
      .action((flags: { steps: string }) => {
        ran.push(flags.steps);
      });
    return { command, printed, ran };
  }

  it.each([
    [['train', '--steps', '1', '--bogus'], /unknown option '--bogus'/],
    [['train'], /required option '--steps <n>' not specified/],
    [['nope'], /unknown command 'nope'/],
  ])(
    'exits 2 (the input, as docs/apps.md says) on %j, with commander message once',
    async (args, message) => {
      const { command, printed, ran } = program();
      await runProgram(command, ['node', 'cli', ...args]);
      expect(process.exitCode).toBe(2);
      expect(printed.join('')).toMatch(message);
      expect(ran).toEqual([]);
    },
  );

  it('exits 0 after --help, and runs the command given', async () => {
    const help = program();
    await runProgram(help.command, ['node', 'cli', 'train', '--help']);
    expect(process.exitCode).toBe(0);
    expect(help.printed.join('')).toContain('--steps <n>');
    process.exitCode = undefined;
    const run = program();
    await runProgram(run.command, ['node', 'cli', 'train', '--steps', '3']);
    expect(run.ran).toEqual(['3']);
    expect(process.exitCode).toBeUndefined();
  });
});
