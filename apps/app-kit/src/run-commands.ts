import { join } from 'node:path';
import type { SavableModel as Model } from '@tformer/model';
import { loadModel, saveModel } from '@tformer/model/node';
import type { Module } from '@tformer/nn';
import { formatTestResult, type TestResult } from './class-probabilities.js';
import { type BackendOptions, startBackend } from './common-options.js';
import { RunDir } from './run-dir.js';
import type { TrainingRun } from './training-run.js';

/** Where a run directory keeps the trained model. */
export const MODEL_DIR = 'model';

const out = (text: string) => process.stdout.write(text);

/**
 * The saved model of a run directory (a usage error naming `train`/`resume` when there is none)
 * and the run's `config.json`: what `eval`, `predict` and `translate` start from.
 */
export async function loadSavedRun<C, M extends Model>(
  runDir: RunDir,
): Promise<{ config: C; model: M }> {
  await runDir.requireSavedModel(MODEL_DIR);
  const config = await runDir.readConfig<C>();
  const model = (await loadModel(join(runDir.path, MODEL_DIR))) as M;
  return { config, model };
}

/**
 * What `eval`, `predict` and the like share: starts the backend, `load`s the run's saved model
 * (with its config, tokenizer…), lets `use` work with it, and disposes the model either way.
 */
export async function useSavedRun<S extends { model: { dispose(): void } }>(
  backend: BackendOptions,
  load: () => Promise<S>,
  use: (saved: S) => Promise<void>,
): Promise<void> {
  await startBackend(backend);
  const saved = await load();
  try {
    await use(saved);
  } finally {
    saved.model.dispose();
  }
}

/**
 * `import`'s run directory: made at `out` with its `config.json` and the imported `model`, where
 * {@link loadSavedRun} reads them (the app adds its tokenizer or vocabulary files).
 */
export async function createImportedRun(out: string, config: unknown, model: Model) {
  const runDir = await new RunDir(out).create();
  await runDir.writeConfig(config);
  await saveRunModel(runDir, model);
  return runDir;
}

/** Saves the trained model where {@link loadSavedRun} reads it. */
export async function saveRunModel(runDir: RunDir, model: Model): Promise<void> {
  await saveModel(join(runDir.path, MODEL_DIR), model);
}

/**
 * The end of every `train` and `resume` that scores a test split: saves the trained model and
 * records the test `metrics` (BLEU, accuracy…) in metrics.jsonl at the run's last step.
 */
export async function saveWithTestMetrics<M extends Model, B>(
  run: TrainingRun<M, B>,
  runDir: RunDir,
  metrics: Record<string, number>,
): Promise<void> {
  await saveRunModel(runDir, run.model);
  await runDir.appendMetrics({ step: run.trainer.step, split: 'test', ...metrics });
}

/**
 * `resume`: continues `run` from its last checkpoint (recording the config when `--steps` changed
 * it), then `finish`es it (test metrics, model, plot); the run is disposed either way.
 */
export async function resumeAndFinish<
  R extends Pick<TrainingRun<Module, unknown>, 'resumeAndFit' | 'dispose'>,
>(run: R, steps: number | undefined, finish: (run: R) => Promise<void>): Promise<void> {
  try {
    await run.resumeAndFit({ saveConfig: steps !== undefined });
    await finish(run);
  } finally {
    run.dispose();
  }
}

/**
 * Trains a classifier's run with its evaluation loss and accuracy before and after (on `split`,
 * the `--valid` or test set), `items` naming what a batch holds ("examples", "images").
 */
export async function fitReportingAccuracy<M extends Module, B>(
  run: TrainingRun<M, B> & { config: { train: { steps: number; batchSize: number } } },
  split: string,
  items: string,
): Promise<void> {
  const line = (m: { loss: number; accuracy?: number }) =>
    `${split} loss ${m.loss.toFixed(4)}, accuracy ${(100 * (m.accuracy ?? 0)).toFixed(1)}%`;
  const { steps, batchSize } = run.config.train;
  out(
    `before training: ${line(await run.evaluation())}\ntraining ${steps} steps of ${batchSize} ${items}\n`,
  );
  const started = performance.now();
  await run.fit();
  const seconds = (performance.now() - started) / 1000;
  out(`after training: ${line(await run.evaluation())}, ${seconds.toFixed(1)} s\n`);
}

/**
 * The end of a classifier's `train` or `resume`: saves the model, records and prints the test
 * metrics (`count` test `items`), writes the loss plot titled `title`, and names the run
 * directory's files (`files`: the app's own, besides the model, checkpoints and metrics).
 */
export async function finishClassifierRun<M extends Model, B>(
  run: TrainingRun<M, B>,
  runDir: RunDir,
  {
    result,
    classes,
    count,
    items,
    title,
    files,
  }: {
    result: TestResult;
    classes: readonly string[];
    count: number;
    items: string;
    title: string;
    files: readonly string[];
  },
): Promise<void> {
  await saveWithTestMetrics(run, runDir, { accuracy: result.accuracy, macroF1: result.macroF1 });
  out(formatTestResult(result, classes, count, items));
  out(await runDirectoryLine(runDir, title, files));
}

/**
 * Writes the loss plot titled `title` and says where the run is, with its files (`files`: the
 * app's own besides config.json, model/, checkpoints/ and metrics.jsonl).
 */
export async function runDirectoryLine(
  runDir: RunDir,
  title: string,
  files: readonly string[],
): Promise<string> {
  const plot = await runDir.writeLossPlot(title);
  const all = ['config.json', ...files, 'model/', 'checkpoints/', 'metrics.jsonl'];
  return `\nrun directory: ${runDir.shown} (${[...all, plot.slice(runDir.path.length + 1)].join(', ')})\n`;
}

/**
 * What `predict` prints for each input: the most probable class and its probability, the
 * runner-up's, and the input (`names[i]`), tab-separated.
 */
export function formatPredictions(
  probabilities: readonly Float32Array[],
  classes: readonly string[],
  names: readonly string[],
): string {
  return probabilities
    .map((p, i) => {
      const [best, second] = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
      const runnerUp = second === undefined ? '' : `, ${classes[second]} ${p[second]!.toFixed(3)}`;
      return `${classes[best!]}\t${p[best!]!.toFixed(3)}${runnerUp}\t${names[i]}\n`;
    })
    .join('');
}
