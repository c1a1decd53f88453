/**
 * `@tformer/app-kit/testing`: what the apps' CLI tests share. Run an app's CLI from source
 * ({@link cliFromSource}) and check what every app's `train`, `resume` and `--help` promise.
 * Test code only (it imports vitest), so it is not in the package's main entry.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliResult, cliFromSource, errorLines } from './cli-from-source.js';
import { RunDir } from './run-dir.js';

export { type CliResult, cliFromSource, errorLines } from './cli-from-source.js';

/** A CLI as {@link cliFromSource} runs it. */
export type Cli = (...args: string[]) => CliResult;

const oneTo = (steps: number) => Array.from({ length: steps }, (_, i) => i + 1);

/**
 * An app's CLI under test: {@link run} runs it from source as a user would (on wasm, see
 * {@link cliFromSource}), {@link work} is a fresh folder for its runs and files, and the
 * `expect…` methods check what every app's `--help`, `train`, `resume` and errors promise.
 *
 * @example
 * const classify = new AppCliTest('classify-test', new URL('./cli.ts', import.meta.url));
 * classify.expectHelp(['train', 'predict'], ['--data']);
 * classify.expectSucceeded(classify.run('train', '--steps', '4', '--out', join(classify.work, 'run')));
 */
export class AppCliTest {
  /** A fresh temporary folder, named after `name`. */
  readonly work: string;
  readonly run: Cli;

  constructor(
    name: string,
    cli: URL,
    private readonly backend = 'wasm',
  ) {
    this.work = mkdtempSync(join(tmpdir(), `${name}-`));
    this.run = cliFromSource(cli, { backend });
  }

  /**
   * `--help` exits 0 and names `texts` (the commands, and whatever else the app's help must say)
   * and `Examples:`; `train --help` names the common flags and `trainFlags`.
   */
  expectHelp(texts: readonly string[], trainFlags: readonly string[]): void {
    const { code, stdout } = this.run('--help');
    expect(code).toBe(0);
    for (const text of [...texts, 'Examples:']) expect(stdout).toContain(text);
    const train = this.run('train', '--help');
    for (const flag of ['--backend', '--seed', '--out', ...trainFlags])
      expect(train.stdout).toContain(flag);
  }

  /**
   * A command that succeeded: exit 0, no stack trace, one line on stderr saying which backend
   * runs, and stdout free of it (it holds only the command's output).
   */
  expectSucceeded(result: CliResult): void {
    expect(result.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^backend ${this.backend}: requested by (--backend|TFORMER_BACKEND)\\n`, 'm'),
    );
    expect(result.stdout).not.toMatch(new RegExp(`backend ${this.backend}`));
  }

  /** A user error: exit code 2 and one line on stderr (no stack trace) that matches `message`. */
  expectUserError(result: CliResult, message: RegExp): void {
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(errorLines(result.stderr)).toHaveLength(1);
  }

  /**
   * The run directory `out` of a run trained to `steps`: one `train` record per step, the loss
   * plot, and the last checkpoint at `steps`.
   */
  async expectTrainedRun(out: string, steps: number): Promise<void> {
    expect(await this.trainSteps(out)).toEqual(oneTo(steps));
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await new RunDir(out).latestCheckpointStep()).toBe(steps);
  }

  /**
   * `resume --steps to` of the run in `out`, checkpointed at step `from`: exit 0, it says where
   * it resumed, and the `train` records run on from `from` to `to` without a gap.
   */
  async expectResumes(out: string, from: number, to: number): Promise<void> {
    const resumed = this.run('resume', '--out', out, '--steps', String(to));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resumed at step ${from} of ${to}`);
    expect(await this.trainSteps(out)).toEqual(oneTo(to));
  }

  /** The steps of the `train` records in the run directory's metrics.jsonl. */
  async trainSteps(out: string): Promise<number[]> {
    const metrics = await new RunDir(out).readMetrics();
    return metrics.filter((m) => m.split === 'train').map((m) => m.step);
  }

  /** The splits (`train`, `val`, `test`) metrics.jsonl holds records of, sorted. */
  async metricSplits(out: string): Promise<string[]> {
    return [...new Set((await new RunDir(out).readMetrics()).map((m) => m.split))].sort();
  }
}
