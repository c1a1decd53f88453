/**
 * `@tformer/app-kit/testing`: what the apps' CLI tests share. Run an app's CLI from source
 * ({@link cliFromSource}) and check what every app's `train`, `resume` and `--help` promise.
 * Test code only (it imports vitest), so it is not in the package's main entry.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tformer/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { Classifier, type ClassifierRun, type ClassifierTask } from './classifier-run.js';
import { type CliResult, cliFromSource, errorLines } from './cli-from-source.js';
import { startBackend } from './common-options.js';
import { RunDir } from './run-dir.js';
import type { TrainSettings } from './training-run.js';

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
  private readonly backend: string;
  /** The flags of the tiny model the app's tests train: {@link expectTrains} adds them. */
  private readonly tiny: readonly string[];

  constructor(
    name: string,
    cli: URL,
    { backend = 'wasm', tiny = [] }: { backend?: string; tiny?: readonly string[] } = {},
  ) {
    this.work = mkdtempSync(join(tmpdir(), `${name}-`));
    this.run = cliFromSource(cli, { backend });
    this.backend = backend;
    this.tiny = tiny;
  }

  /**
   * `train` of the tiny model (the constructor's `tiny` flags, then `args`) for 4 steps,
   * evaluating every 2, into `out`: it succeeds ({@link expectSucceeded}) and leaves the run that
   * {@link expectTrainedRun} checks. Returns what it printed, for the app's own checks.
   */
  async expectTrains(out: string, ...args: string[]): Promise<CliResult> {
    const trained = this.run(
      ...['train', '--steps', '4', '--eval-every', '2', '--out', out],
      ...[...this.tiny, ...args],
    );
    this.expectSucceeded(trained);
    await this.expectTrainedRun(out, 4);
    return trained;
  }

  /**
   * `export` of a run as a Hugging Face folder (`exportArgs`: the run and the app's flags) to
   * `hf`, and `import` of it back into `back` (with `importArgs`): both exit 0, export names
   * `files`, the folder's config.json holds `config`, and import prints `imported`. Then
   * `command(dir)` (predict, generate…) prints the same for `run` and `back`.
   */
  expectHfRoundTrip({
    run,
    exportArgs,
    files,
    config,
    importArgs = [],
    imported,
    command,
  }: {
    run: string;
    exportArgs: readonly string[];
    files: RegExp;
    config: Record<string, unknown>;
    importArgs?: readonly string[];
    imported: RegExp;
    command: (dir: string) => string[];
  }): void {
    const [hf, back] = [join(this.work, 'hf'), join(this.work, 'back')];
    const exported = this.run('export', ...exportArgs, '--to', hf);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(files);
    expect(JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'))).toMatchObject(config);
    const done = this.run('import', hf, '--out', back, ...importArgs);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(imported);
    const [a, b] = [this.run(...command(run)), this.run(...command(back))];
    expect(a.code, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  }

  /** `import` of a folder that does not exist fails, naming its config.json. */
  expectImportNamesMissingFolder(): void {
    const missing = this.run('import', join(this.work, 'nowhere'), '--out', join(this.work, 'x'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nowhere\/config\.json: missing/);
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

/**
 * The test of a classifier app's run (`name`, made by `makeRun` in a fresh run directory, its
 * config training 4 steps and evaluating every 2): on cpu it trains, evaluates and scores the
 * `test` rows (8 of them, `numClasses` classes) with the app's `task`, leaking no tensor.
 *
 * @example
 * describeClassifierRun('VisionRun', (runDir) => new VisionRun(config, runDir, data), visionTask(config), test, 4);
 */
export function describeClassifierRun<
  M extends Module,
  R extends { label: number },
  B extends { labels: tf.Tensor1D },
  C extends { train: TrainSettings },
>(
  name: string,
  makeRun: (runDir: RunDir) => ClassifierRun<M, R, B, C>,
  task: ClassifierTask<M, R, B>,
  test: readonly R[],
  numClasses: number,
): void {
  describe(name, () => {
    beforeAll(async () => {
      await startBackend({ backend: 'cpu' });
    });

    it('trains, evaluates and scores the test split without leaking a tensor', async () => {
      const runDir = await new RunDir(await mkdtemp(join(tmpdir(), 'classifier-run-'))).create();
      const run = makeRun(runDir);
      try {
        await run.trainer.trainStep(); // creates the optimizer's moments
        const before = tf.memory().numTensors;
        await run.fit(); // steps 2–4, with evaluations and checkpoints
        const evaluation = await run.evaluation();
        const result = await new Classifier(run.model, task).testResult(test, numClasses);
        expect(tf.memory().numTensors).toBe(before);
        expect(evaluation.step).toBe(4);
        expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(test.length);
      } finally {
        run.dispose();
      }
    });
  });
}
