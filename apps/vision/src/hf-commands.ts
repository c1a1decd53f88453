import { join, resolve } from 'node:path';
import {
  addBackendOptions,
  addCommonOptions,
  type BackendOptions,
  type CommonOptions,
  RunDir,
  startBackend,
  UsageError,
} from '@tformer/app-kit';
import { loadHuggingFace, saveHuggingFace, saveModel } from '@tformer/model/node';
import { type Command, Option } from 'commander';
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
  await startBackend(flags);
  const runDir = new RunDir(flags.out);
  const { config, model } = await loadSaved(runDir);
  try {
    const files = await saveHuggingFace(flags.to, model, { labels: config.classes });
    const c = model.config;
    out(
      `exported ${runDir.path} (VisionTransformer ${c.numLayers}×${c.numHeads}×${c.dModel}, ${c.imageSize}×${c.imageSize} images, ${c.numClasses} classes, ${model.parameterCount().toLocaleString('en')} parameters) to ${flags.to}: ${files.join(', ')}\n` +
        `load it in Python: ViTForImageClassification.from_pretrained(${JSON.stringify(resolve(flags.to))}); pixel_values [B, ${c.channels}, ${c.imageSize}, ${c.imageSize}] in [0, 1]\n`,
    );
  } finally {
    model.dispose();
  }
}

/**
 * `import`: a ViTForImageClassification folder with one channel (the app reads grayscale) as a
 * run directory that `predict` and, given `--data`, `eval` use; `id2label` gives the classes.
 */
export async function importCommand(
  folder: string,
  flags: CommonOptions & { data?: string },
): Promise<void> {
  await startBackend(flags);
  const loaded = await loadHuggingFace(folder);
  try {
    if (loaded.format !== 'vit') {
      throw new UsageError(
        `${folder}: a ${loaded.format} folder is not an image classifier (vision imports vit)`,
      );
    }
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
    const runDir = await new RunDir(flags.out).create();
    await runDir.writeConfig(config);
    await saveModel(join(runDir.path, 'model'), loaded.model);
    out(
      `imported ${folder} (vit, VisionTransformer ${model.numLayers}×${model.numHeads}×${model.dModel}, classes ${classes.join(', ')}) as run ${runDir.path}\n`,
    );
  } finally {
    loaded.model.dispose();
  }
}

/** Registers `export` and `import` on vision's program. */
export function addHfCommands(program: Command, defaultRun: string): void {
  addBackendOptions(
    program
      .command('export')
      .description(
        "a run's saved model as a Hugging Face ViTForImageClassification folder (transformers)",
      ),
  )
    .option('--out <dir>', 'run directory made by train', defaultRun)
    .requiredOption('--to <dir>', 'the folder to write')
    .addOption(new Option('--format <format>', 'output format').choices(['hf']).default('hf'))
    .action((flags: ExportFlags) => exportCommand(flags));

  const importCmd = program
    .command('import')
    .description('a one-channel ViTForImageClassification folder as a run directory')
    .argument('<folder>', 'Hugging Face model folder with config.json, model.safetensors')
    .option('--data <folder>', 'the class folders eval should read (default: generated shapes)');
  addCommonOptions(importCmd, `${defaultRun}-imported`).action(
    (folder: string, flags: CommonOptions & { data?: string }) => importCommand(folder, flags),
  );
}
