#!/usr/bin/env node
import {
  type AppTrainFlags,
  addHfCommands,
  classifierProgram,
  dataPathsOf,
  parseInteger,
  parseNumber,
  requireTrainingData,
  runProgram,
  trainSettingsOf,
  UsageError,
} from '@tformer/app-kit';
import { evalCommand, predictCommand, resumeCommand, trainCommand } from './commands.js';
import type { VisionConfig } from './config.js';
import { hfCommands } from './hf-commands.js';
import { writeSamples } from './samples.js';

const DEFAULT_OUT = 'runs/vision';

interface TrainFlags extends AppTrainFlags {
  data?: string;
  imageSize: number;
  patchSize: number;
  dModel: number;
  heads: number;
  layers: number;
  dFf?: number;
  dropout: number;
}

function configFrom(flags: TrainFlags): VisionConfig {
  if (flags.imageSize % flags.patchSize !== 0) {
    throw new UsageError(
      `--patch-size: ${flags.patchSize} does not divide --image-size ${flags.imageSize}`,
    );
  }
  requireTrainingData(flags, flags.data !== undefined, '--data', 'the training folder');
  return {
    app: 'vision',
    version: 1,
    ...dataPathsOf(flags),
    imageSize: flags.imageSize,
    testSize: flags.testSize,
    classes: [], // read from the data
    model: {
      imageSize: flags.imageSize,
      patchSize: flags.patchSize,
      channels: 1,
      numClasses: 0, // the data's
      dModel: flags.dModel,
      numHeads: flags.heads,
      numLayers: flags.layers,
      dFF: flags.dFf ?? 2 * flags.dModel,
      dropout: flags.dropout,
    },
    train: trainSettingsOf(flags, { weightDecay: 0.05, clipNorm: 1 }),
  };
}

const program = classifierProgram({
  name: 'tformer-vision',
  description:
    'Train a small Vision Transformer (ViT) on generated shapes or a folder of PNG images, on the backend you pick.',
  examples: `
Examples:
  tformer-vision                                 train on generated shapes (circle, cross, square, triangle)
  tformer-vision samples shapes/ --count 200     write generated shapes as PNGs in class folders
  tformer-vision train --data shapes/ --test-size 40 --steps 400
  tformer-vision train --data train/ --valid valid/ --test test/
  tformer-vision train --image-size 32 --patch-size 8 --layers 4 --backend wasm
  tformer-vision resume --out runs/vision --steps 600
  tformer-vision eval --out runs/vision          accuracy, macro-F1, confusion matrix
  tformer-vision predict shapes/circle/0002.png shapes/cross/0001.png
  tformer-vision export --out runs/vision --to hf   a ViTForImageClassification folder for transformers
  tformer-vision import hf --out runs/vision-back   and back

--data folder layout: <folder>/<class>/*.png, one sub-folder per class; images are converted to
grayscale and resized to --image-size.`,
  defaultOut: DEFAULT_OUT,
  unit: 'images',
  data: {
    argument: '<folder>',
    help: 'class sub-folders of PNG images (default: generated shapes)',
    format: 'folder with the class sub-folders of --data',
  },
  train: {
    description: 'train a ViT (default)',
    modelOptions: (command) =>
      command
        .option('--image-size <n>', 'image side in pixels', parseInteger('--image-size', 2), 16)
        .option('--patch-size <n>', 'patch side in pixels', parseInteger('--patch-size', 1), 4)
        .option('--d-model <n>', 'model width', parseInteger('--d-model', 1), 48)
        .option('--heads <n>', 'attention heads', parseInteger('--heads', 1), 4)
        .option('--layers <n>', 'Transformer blocks', parseInteger('--layers', 1), 2)
        .option('--d-ff <n>', 'MLP width (default: 2 × d-model)', parseInteger('--d-ff', 1))
        .option('--dropout <p>', 'dropout rate', parseNumber('--dropout', 0, 0.9), 0),
    learningRate: 2e-3,
    run: (runDir, flags: TrainFlags) => trainCommand(configFrom(flags), runDir, flags),
  },
  resume: resumeCommand,
  eval: evalCommand,
  predict: {
    description: "classify PNG images with a run's saved model",
    argument: ['<files...>', 'PNG images to classify'],
    run: predictCommand,
  },
});

program
  .command('samples')
  .argument('<folder>', 'where to write <class>/NNNN.png')
  .description('write generated shapes as PNG files in class folders (a --data example)')
  .option('--count <n>', 'images', parseInteger('--count', 1), 200)
  .option('--image-size <n>', 'image side in pixels', parseInteger('--image-size', 2), 16)
  .option('--seed <n>', 'random seed', parseInteger('--seed', 0), 1337)
  .action((folder: string, flags: { count: number; imageSize: number; seed: number }) =>
    writeSamples(folder, flags.count, flags.imageSize, flags.seed),
  );

addHfCommands(program, DEFAULT_OUT, hfCommands);

await runProgram(program);
