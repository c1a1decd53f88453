import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@tformer/nn/node';
import { DirectoryCheckpointStore } from '@tformer/train/node';
import { DataFileError } from './data-file-error.js';
import { fileError } from './file-errors.js';
import { type LossPoint, renderLossSvg } from './loss-plot.js';
import { UsageError } from './run-cli.js';
import { acquireLock } from './run-lock.js';

/** One line of `metrics.jsonl`. */
export interface MetricRecord {
  step: number;
  split: 'train' | 'val' | 'test';
  loss?: number;
  [metric: string]: number | string | undefined;
}

/** The lock file of a run directory: one writer (train, resume) at a time. */
export const LOCK_FILE = '.lock';

/** What a run directory holds besides what the app adds (`tokenizer.json`, `vocab.json`, …). */
const RUN_FILES = ['config.json', 'metrics.jsonl', 'loss.svg', 'checkpoints', 'model'];

/**
 * `path` (relative to this process's working directory) as seen from where the user ran the
 * command. `pnpm demo` and `pnpm --filter <app> start` run an app inside its package folder while
 * the user stands at the repository root (pnpm's `INIT_CWD`), so a printed `runs/textgen` would be
 * wrong for their next `pnpm exec tformer-textgen … --out`; `apps/textgen/runs/textgen` is right.
 */
export function userPath(path: string, from = process.env.INIT_CWD, cwd = process.cwd()): string {
  // Only where pnpm moved the process below the user's folder; a test or script that starts the
  // app elsewhere (with an inherited INIT_CWD) keeps its own relative paths.
  if (!from || isAbsolute(path) || relative(from, cwd).startsWith('..')) return path;
  return relative(from, resolve(cwd, path)) || '.';
}

/**
 * A run directory: `config.json` (how the run was made, written with the first checkpoint),
 * `metrics.jsonl` (one JSON record per measurement), `loss.svg` (the curve, redrawn on demand),
 * `checkpoints/` and, while a process trains in it, `.lock`. Every write that replaces a file is
 * atomic, and a torn last line of `metrics.jsonl` (a kill or a full disk mid-append) is skipped
 * when read, so an interrupted run never leaves a file that breaks the next command.
 */
export class RunDir {
  private releaseLock: (() => void) | undefined;
  /** Warnings (a skipped torn line); a line on stderr by default. */
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`);

  constructor(readonly path: string) {}

  /** {@link path} as the user types it where they stand ({@link userPath}): what messages print. */
  get shown(): string {
    return userPath(this.path);
  }

  get checkpointsPath(): string {
    return join(this.path, 'checkpoints');
  }

  get configPath(): string {
    return join(this.path, 'config.json');
  }

  get metricsPath(): string {
    return join(this.path, 'metrics.jsonl');
  }

  /** Creates the directory (and `checkpoints/`); a path that cannot be one fails in one line. */
  async create(): Promise<this> {
    const info = await stat(this.path).catch(() => undefined);
    if (info && !info.isDirectory())
      throw new DataFileError(this.path, '--out is a file, not a folder');
    try {
      await mkdir(this.checkpointsPath, { recursive: true });
    } catch (error) {
      throw fileError(error);
    }
    return this;
  }

  /**
   * Makes the directory ready for a new `train`: refuses one that already holds a run (a
   * `config.json`, a checkpoint or a saved model) unless `force`, takes the lock, and removes
   * what an earlier run killed before its first checkpoint left (`metrics.jsonl`, …, and the
   * app's own `extraFiles`).
   */
  async prepareForTraining({
    force,
    extraFiles = [],
  }: {
    force: boolean;
    extraFiles?: readonly string[];
  }): Promise<void> {
    await this.create();
    await this.lock();
    if (!force && (await this.holdsRun())) {
      this.unlock();
      throw new UsageError(
        `${this.shown} already holds a trained run: continue it with \`resume --out ${this.shown}\`, replace it with --force, or train into a new --out`,
      );
    }
    for (const name of [...RUN_FILES, ...extraFiles])
      await rm(join(this.path, name), { recursive: true, force: true });
    await this.create();
  }

  /** Whether the directory holds a run that `train` would destroy. */
  async holdsRun(): Promise<boolean> {
    if (await exists(this.configPath)) return true;
    if (await exists(join(this.path, 'model'))) return true;
    const names = await readdir(this.checkpointsPath).catch(() => [] as string[]);
    return names.some((n) => !n.startsWith('.'));
  }

  /** The step of the newest complete checkpoint (its manifest's), or `undefined` when there is none. */
  async latestCheckpointStep(): Promise<number | undefined> {
    const stored = await new DirectoryCheckpointStore(this.checkpointsPath).list();
    return stored.at(-1)?.manifest.step;
  }

  /** Takes the run's lock (see `acquireLock`): a second trainer stops with one line. */
  async lock(): Promise<void> {
    if (this.releaseLock) return;
    try {
      this.releaseLock = await acquireLock(join(this.path, LOCK_FILE));
    } catch (error) {
      throw fileError(error);
    }
  }

  unlock(): void {
    const release = this.releaseLock;
    this.releaseLock = undefined;
    release?.();
  }

  async writeConfig(config: unknown): Promise<void> {
    await writeFileAtomic(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  async hasConfig(): Promise<boolean> {
    return exists(this.configPath);
  }

  /**
   * The run's `config.json`. Missing: a {@link UsageError} saying there is nothing to resume
   * when the directory is a run killed before its first checkpoint, a {@link DataFileError}
   * when it is not a run directory at all.
   */
  async readConfig<T>(): Promise<T> {
    const file = this.configPath;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, file);
      if (await exists(this.metricsPath)) {
        throw new UsageError(
          `${this.shown}: nothing to resume or load: the run was stopped before its first checkpoint; train again (\`train --out ${this.shown}\`)`,
        );
      }
      throw new DataFileError(
        file,
        'no config.json here: is this a run directory made by `train`?',
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new DataFileError(file, `not valid JSON (${(error as Error).message})`);
    }
  }

  /**
   * Appends one record as one line, in one write: a kill leaves whole lines (or a torn last
   * line, which {@link readMetrics} skips).
   */
  async appendMetrics(record: MetricRecord): Promise<void> {
    try {
      await appendFile(
        this.metricsPath,
        `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`,
      );
    } catch (error) {
      throw fileError(error, this.metricsPath);
    }
  }

  /** Every record of `metrics.jsonl`; a line that is not JSON (torn by a kill) is skipped with a warning. */
  async readMetrics(): Promise<MetricRecord[]> {
    const { records } = await this.parseMetrics();
    return records;
  }

  /**
   * Drops the records of steps after `step` (and torn lines): what a run killed after its last
   * checkpoint wrote and a resume from that checkpoint will write again.
   */
  async truncateMetrics(step: number): Promise<number> {
    const { records, torn, text } = await this.parseMetrics({ quiet: true });
    const kept = records.filter((r) => r.step <= step);
    const dropped = records.length - kept.length + torn;
    if (dropped === 0 && (text === '' || text.endsWith('\n'))) return 0;
    await writeFileAtomic(this.metricsPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return dropped;
  }

  private async parseMetrics({ quiet = false } = {}) {
    let text = '';
    try {
      text = await readFile(this.metricsPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error);
    }
    const { records, skipped } = parseMetricsText(text);
    if (!quiet)
      for (const line of skipped)
        this.warn(`${this.metricsPath}:${line}: skipped a torn line (the run was interrupted)`);
    const torn = skipped.length;
    return { records, torn, text };
  }

  /** Redraws `loss.svg` from every loss in `metrics.jsonl`. */
  async writeLossPlot(title: string): Promise<string> {
    const points: LossPoint[] = (await this.readMetrics())
      .filter((r) => typeof r.loss === 'number')
      .map((r) => ({ step: r.step, loss: r.loss as number, split: r.split }));
    const file = join(this.path, 'loss.svg');
    await writeFileAtomic(file, await renderLossSvg(points, title));
    return file;
  }

  /**
   * Fails with a {@link UsageError} unless the run has a saved model (`model/`): `eval`,
   * `generate` and `predict` on a run stopped before it finished say so in one line.
   */
  async requireSavedModel(dir = 'model'): Promise<string> {
    const path = join(this.path, dir);
    if (await exists(join(path, 'config.json'))) return path;
    await this.readConfig(); // not a run at all, or stopped before its first checkpoint
    throw new UsageError(
      `${path}: no saved model yet: the run stopped before it finished; continue it with \`resume --out ${this.shown}\``,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The records of a `metrics.jsonl` text and the (1-based) numbers of the lines skipped: a line
 * that is not a JSON object with a numeric `step` (torn by a kill or a full disk) is never a
 * record, so no later command trips over it.
 */
export function parseMetricsText(text: string): { records: MetricRecord[]; skipped: number[] } {
  const records: MetricRecord[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    const r = record as Partial<MetricRecord> | null | undefined;
    if (typeof r === 'object' && r !== null && !Array.isArray(r) && Number.isFinite(r.step))
      records.push(r as MetricRecord);
    else skipped.push(i + 1);
  });
  return { records, skipped };
}
