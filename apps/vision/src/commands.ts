import { join } from 'node:path';
import {
  type BackendOptions,
  checkRunClasses,
  evalSplitOf,
  formatTestResult,
  type RunDir,
  resumedConfig,
  startBackend,
  UsageError,
} from '@tformer/app-kit';
import type { VisionTransformer } from '@tformer/model';
import { loadModel, saveModel } from '@tformer/model/node';
import type { VisionConfig } from './config.js';
import { type ImageSet, loadImages } from './data.js';
import { readPng } from './png-folder.js';
import { classProbabilities, type TestResult, testMetrics, VisionRun } from './run.js';
import { asciiArt } from './shapes.js';

const MODEL_DIR = 'model';
const out = (text: string) => process.stdout.write(text);

/** The run's images; the classes must still be those of `config.json` (a resumed run keeps its own). */
async function imagesOf(config: VisionConfig): Promise<ImageSet> {
  const set = await loadImages(config, config.imageSize, config.testSize, config.train.seed);
  checkRunClasses(config.dataPath ?? 'generated data', set.classes, config.classes, 'the folder');
  return set;
}

function report(result: TestResult, classes: readonly string[], count: number): void {
  out(formatTestResult(result, classes, count, 'images'));
}

async function finish(run: VisionRun, runDir: RunDir, set: ImageSet): Promise<void> {
  const result = await testMetrics(run.model, set.test, run.config);
  await saveModel(join(runDir.path, MODEL_DIR), run.model);
  await runDir.appendMetrics({
    step: run.trainer.step,
    split: 'test',
    accuracy: result.accuracy,
    macroF1: result.macroF1,
  });
  report(result, run.config.classes, set.test.length);
  const plot = await runDir.writeLossPlot(`vision: ${run.config.corpus}`);
  out(
    `\nrun directory: ${runDir.path} (config.json, model/, checkpoints/, metrics.jsonl, ${plot.slice(runDir.path.length + 1)})\n`,
  );
}

/** `train`: train the ViT on the images, report test accuracy, macro-F1 and confusion matrix. */
export async function trainCommand(
  config: VisionConfig,
  runDir: RunDir,
  backend: BackendOptions & { force?: boolean },
): Promise<void> {
  await startBackend(backend);
  const set = await loadImages(config, config.imageSize, config.testSize, config.train.seed);
  out(
    `data: ${set.source}, ${set.train.length} training, ${set.valid ? `${set.valid.length} validation, ` : ''}${set.test.length} test images, classes ${set.classes.join(', ')}\n`,
  );
  const first = set.train[0]!;
  out(
    `a training image (${set.classes[first.label]}):\n${asciiArt(first.pixels, config.imageSize)}\n`,
  );
  const resolved: VisionConfig = {
    ...config,
    corpus: set.source,
    classes: set.classes,
    model: { ...config.model, numClasses: set.classes.length },
  };
  // Refuses a run directory that holds a run (unless --force) and takes its lock; config.json
  // is written with the first checkpoint.
  await runDir.prepareForTraining({ force: backend.force ?? false, extraFiles: [] });
  const run = new VisionRun(resolved, runDir, { train: set.train, eval: set.valid ?? set.test });
  try {
    const m = resolved.model;
    out(
      `model: VisionTransformer, ${config.imageSize}×${config.imageSize} in ${m.patchSize}×${m.patchSize} patches, ${m.numLayers} layers × ${m.numHeads} heads × d ${m.dModel}, ${run.model.parameterCount().toLocaleString('en')} parameters\n`,
    );
    const split = evalSplitOf(resolved.validPath);
    const before = await run.evaluation();
    out(
      `before training: ${split} loss ${before.loss.toFixed(4)}, accuracy ${(100 * (before.accuracy ?? 0)).toFixed(1)}%\ntraining ${resolved.train.steps} steps of ${resolved.train.batchSize} images\n`,
    );
    const trainStart = performance.now();
    await run.fit();
    const seconds = (performance.now() - trainStart) / 1000;
    const after = await run.evaluation();
    out(
      `after training: ${split} loss ${after.loss.toFixed(4)}, accuracy ${(100 * (after.accuracy ?? 0)).toFixed(1)}%, ${seconds.toFixed(1)} s\n`,
    );
    await finish(run, runDir, set);
  } finally {
    run.dispose();
  }
}

/** `resume`: continue a run from its last checkpoint, to `steps` in all (default: the planned total). */
export async function resumeCommand(
  runDir: RunDir,
  backend: BackendOptions,
  steps: number | undefined,
): Promise<void> {
  await startBackend(backend);
  const config = await resumedConfig<VisionConfig>(runDir, steps);
  const set = await imagesOf(config);
  const run = new VisionRun(config, runDir, { train: set.train, eval: set.valid ?? set.test });
  try {
    await run.resumeAndFit({ saveConfig: steps !== undefined });
    await finish(run, runDir, set);
  } finally {
    run.dispose();
  }
}

/** A run's config and saved model (the caller disposes the model). */
export async function loadSaved(runDir: RunDir) {
  await runDir.requireSavedModel(MODEL_DIR);
  const config = await runDir.readConfig<VisionConfig>();
  const model = (await loadModel(join(runDir.path, MODEL_DIR))) as VisionTransformer;
  return { config, model };
}

/** `eval`: accuracy, macro-F1 and confusion matrix of the saved model on the test split. */
export async function evalCommand(runDir: RunDir, backend: BackendOptions): Promise<void> {
  await startBackend(backend);
  const { config, model } = await loadSaved(runDir);
  try {
    const { test } = await imagesOf(config);
    report(await testMetrics(model, test, config), config.classes, test.length);
  } finally {
    model.dispose();
  }
}

/** `predict`: the class of each PNG file, with its probability (and the runner-up's). */
export async function predictCommand(
  runDir: RunDir,
  backend: BackendOptions,
  files: string[],
): Promise<void> {
  if (files.length === 0) throw new UsageError('predict: give one or more PNG files');
  await startBackend(backend);
  const { config, model } = await loadSaved(runDir);
  try {
    const images = await Promise.all(
      files.map(async (file) => ({ pixels: await readPng(file, config.imageSize), label: 0 })),
    );
    const probabilities = await classProbabilities(model, images, config, 'predict');
    probabilities.forEach((p, i) => {
      const ranked = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
      const [best, second] = ranked;
      const runnerUp =
        second === undefined ? '' : `, ${config.classes[second]} ${p[second]!.toFixed(3)}`;
      out(`${config.classes[best!]}\t${p[best!]!.toFixed(3)}${runnerUp}\t${files[i]}\n`);
    });
  } finally {
    model.dispose();
  }
}
