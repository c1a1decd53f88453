import {
  type BackendOptions,
  Classifier,
  checkRunClasses,
  evalSplitOf,
  finishClassifierRun,
  fitReportingAccuracy,
  formatPredictions,
  formatTestResult,
  loadSavedRun,
  type RunDir,
  resumeAndFinish,
  startBackend,
  UsageError,
  useSavedRun,
} from '@tformer/app-kit';
import type { VisionTransformer } from '@tformer/model';
import type { VisionConfig } from './config.js';
import { type ImageSet, loadImages } from './data.js';
import { readPng } from './png-folder.js';
import { VisionRun, visionTask } from './run.js';
import { asciiArt } from './shapes.js';

const out = (text: string) => process.stdout.write(text);

/** The run's images; the classes must still be those of `config.json` (a resumed run keeps its own). */
async function imagesOf(config: VisionConfig): Promise<ImageSet> {
  const set = await loadImages(config, config.imageSize, config.testSize, config.train.seed);
  checkRunClasses(config.dataPath ?? 'generated data', set.classes, config.classes, 'the folder');
  return set;
}

async function finish(run: VisionRun, runDir: RunDir, set: ImageSet): Promise<void> {
  await finishClassifierRun(run, runDir, {
    result: await new Classifier(run.model, visionTask(run.config)).testResult(
      set.test,
      run.config.classes.length,
    ),
    classes: run.config.classes,
    count: set.test.length,
    items: 'images',
    title: `vision: ${run.config.corpus}`,
    files: [],
  });
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
    await fitReportingAccuracy(run, evalSplitOf(resolved.validPath), 'images');
    await finish(run, runDir, set);
  } finally {
    run.dispose();
  }
}

/** `resume`: continue a run from its last checkpoint, to `steps` in all (default: the planned total). */
export async function resumeCommand(
  config: VisionConfig,
  runDir: RunDir,
  steps: number | undefined,
): Promise<void> {
  const set = await imagesOf(config);
  const run = new VisionRun(config, runDir, { train: set.train, eval: set.valid ?? set.test });
  await resumeAndFinish(run, steps, () => finish(run, runDir, set));
}

/** A run's config and saved model (the caller disposes the model). */
export function loadSaved(runDir: RunDir) {
  return loadSavedRun<VisionConfig, VisionTransformer>(runDir);
}

/** `eval`: accuracy, macro-F1 and confusion matrix of the saved model on the test split. */
export async function evalCommand(runDir: RunDir, backend: BackendOptions): Promise<void> {
  await useSavedRun(
    backend,
    () => loadSaved(runDir),
    async ({ config, model }) => {
      const { test } = await imagesOf(config);
      const classifier = new Classifier(model, visionTask(config));
      const result = await classifier.testResult(test, config.classes.length);
      out(formatTestResult(result, config.classes, test.length, 'images'));
    },
  );
}

/** `predict`: the class of each PNG file, with its probability (and the runner-up's). */
export async function predictCommand(
  runDir: RunDir,
  backend: BackendOptions,
  files: string[],
): Promise<void> {
  if (files.length === 0) throw new UsageError('predict: give one or more PNG files');
  await useSavedRun(
    backend,
    () => loadSaved(runDir),
    async ({ config, model }) => {
      const images = await Promise.all(
        files.map(async (file) => ({ pixels: await readPng(file, config.imageSize), label: 0 })),
      );
      const classifier = new Classifier(model, visionTask(config));
      const probabilities = await classifier.probabilities(images, 'predict');
      out(formatPredictions(probabilities, config.classes, files));
    },
  );
}
