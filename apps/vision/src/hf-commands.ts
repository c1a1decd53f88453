import { resolve } from 'node:path';
import {
  type BackendOptions,
  type CommonOptions,
  createImportedRun,
  type HfCommands,
  type HfFolderOf,
  RunDir,
  UsageError,
  useSavedRun,
} from '@tformer/app-kit';
import { saveHuggingFace } from '@tformer/model/node';
import { loadSaved } from './commands.js';
import type { VisionConfig } from './config.js';

const out = (text: string) => process.stdout.write(text);

interface ExportFlags extends BackendOptions {
  out: string;
  to: string;
  format: 'hf';
}

/**
 * `export --format hf`: a run's saved model as a `ViTForImageClassification` folder, its class
 * names as `id2label`. transformers takes the app's input as `pixel_values` `[B, 1, H, W]`:
 * grayscale in [0, 1] at the run's image size.
 */
export async function exportCommand(flags: ExportFlags): Promise<void> {
  const runDir = new RunDir(flags.out);
  await useSavedRun(
    flags,
    () => loadSaved(runDir),
    async ({ config, model }) => {
      const files = await saveHuggingFace(flags.to, model, { labels: config.classes });
      const c = model.config;
      out(
        `exported ${runDir.path} (VisionTransformer ${c.numLayers}×${c.numHeads}×${c.dModel}, ${c.imageSize}×${c.imageSize} images, ${c.numClasses} classes, ${model.parameterCount().toLocaleString('en')} parameters) to ${flags.to}: ${files.join(', ')}\n` +
          `load it in Python: ViTForImageClassification.from_pretrained(${JSON.stringify(resolve(flags.to))}); pixel_values [B, ${c.channels}, ${c.imageSize}, ${c.imageSize}] in [0, 1]\n`,
      );
    },
  );
}

/**
 * `import`: a ViTForImageClassification folder with one channel (the app reads grayscale) as a
 * run directory that `predict` and, given `--data`, `eval` use; `id2label` gives the classes.
 */
type ImportFlags = CommonOptions & { data?: string };

async function importRun(
  folder: string,
  flags: ImportFlags,
  loaded: HfFolderOf<'vit'>,
): Promise<void> {
  const model = loaded.model.getConfig();
  if (model.channels !== 1) {
    throw new UsageError(
      `${folder}/config.json: num_channels ${model.channels}: vision reads grayscale images (1 channel)`,
    );
  }
  const id2label = (loaded.config.id2label ?? {}) as Record<string, unknown>;
  const classes = Array.from({ length: model.numClasses }, (_, i) => String(id2label[i] ?? i));
  const config: VisionConfig = {
    app: 'vision',
    version: 1,
    dataPath: flags.data ?? null,
    corpus: flags.data ?? `imported from ${folder}`,
    imageSize: model.imageSize,
    testSize: 400,
    classes,
    model,
    train: {
      steps: 0,
      batchSize: 32,
      learningRate: 2e-3,
      warmupSteps: 0,
      weightDecay: 0.05,
      clipNorm: 1,
      evalEvery: 50,
      seed: flags.seed,
    },
  };
  const runDir = await createImportedRun(flags.out, config, loaded.model);
  out(
    `imported ${folder} (vit, VisionTransformer ${model.numLayers}×${model.numHeads}×${model.dModel}, classes ${classes.join(', ')}) as run ${runDir.path}\n`,
  );
}

/** vision's `export` and `import`, for app-kit's `addHfCommands`. */
export const hfCommands: HfCommands<ExportFlags, ImportFlags, 'vit'> = {
  exportDescription:
    "a run's saved model as a Hugging Face ViTForImageClassification folder (transformers)",
  runFlag: '--out',
  formats: { description: 'output format', choices: ['hf'] },
  export: exportCommand,
  importDescription: 'a one-channel ViTForImageClassification folder as a run directory',
  folderDescription: 'Hugging Face model folder with config.json, model.safetensors',
  importData: {
    flag: '--data <folder>',
    description: 'the class folders eval should read (default: generated shapes)',
  },
  importFormats: { app: 'vision', kind: 'an image classifier', choices: ['vit'] },
  import: importRun,
};
