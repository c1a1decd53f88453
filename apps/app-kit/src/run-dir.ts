import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { DataFileError } from './data-file-error.js';
import { type LossPoint, renderLossSvg } from './loss-plot.js';

/** One line of `metrics.jsonl`. */
export interface MetricRecord {
  step: number;
  split: 'train' | 'val' | 'test';
  loss?: number;
  [metric: string]: number | string | undefined;
}

/**
 * A run directory: `config.json` (how the run was made), `metrics.jsonl` (one JSON record per
 * measurement), `loss.svg` (the curve, redrawn on demand) and `checkpoints/`. Every write that
 * replaces a file is atomic, so an interrupted run never leaves a torn file behind.
 */
export class RunDir {
  constructor(readonly path: string) {}

  get checkpointsPath(): string {
    return join(this.path, 'checkpoints');
  }

  async create(): Promise<this> {
    await mkdir(this.checkpointsPath, { recursive: true });
    return this;
  }

  async writeConfig(config: unknown): Promise<void> {
    await writeFileAtomic(join(this.path, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** The run's `config.json`; a missing or unreadable one is a {@link DataFileError}. */
  async readConfig<T>(): Promise<T> {
    const file = join(this.path, 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
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

  async appendMetrics(record: MetricRecord): Promise<void> {
    await appendFile(
      join(this.path, 'metrics.jsonl'),
      `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`,
    );
  }

  async readMetrics(): Promise<MetricRecord[]> {
    const text = await readFile(join(this.path, 'metrics.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as MetricRecord);
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
}
