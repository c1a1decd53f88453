#!/usr/bin/env node
import {
  type AppTrainFlags,
  argsOrStdinLines,
  classifierProgram,
  parseInteger,
  parseNumber,
  requireTrainingData,
  runProgram,
  trainSettingsOf,
} from '@tformer/app-kit';
import { Option } from 'commander';
import { evalCommand, predictCommand, resumeCommand, trainCommand } from './commands.js';
import type { ClassifyConfig } from './config.js';
import { LENGTH_PERCENTILE, MAX_LENGTH_CAP, PAD } from './vocab.js';

const DEFAULT_OUT = 'runs/classify';

interface TrainFlags extends AppTrainFlags {
  data?: string;
  vocabSize: number;
  maxLength?: number;
  dModel: number;
  heads: number;
  dFf: number;
  layers: number;
  pooling: 'mean' | 'max' | 'cls';
  dropout: number;
}

function configFrom(flags: TrainFlags): ClassifyConfig {
  requireTrainingData(flags, flags.data !== undefined, '--data', 'the training file');
  const data =
    flags.data === undefined
      ? null
      : { train: flags.data, valid: flags.valid ?? null, test: flags.test ?? null };
  return {
    app: 'classify',
    version: 1,
    data,
    corpus: flags.data ?? 'default',
    testSize: flags.testSize,
    labels: [], // read from the data
    tokenizer: { vocabSize: flags.vocabSize },
    model: {
      vocabSize: 0, // the tokenizer's, once learned
      numClasses: 0, // the data's
      maxLength: flags.maxLength ?? 0, // 0: the training texts', once tokenized
      dModel: flags.dModel,
      numHeads: flags.heads,
      dFF: flags.dFf,
      numLayers: flags.layers,
      pooling: flags.pooling,
      dropout: flags.dropout,
      padTokenId: PAD,
    },
    train: trainSettingsOf(flags, { weightDecay: 0.01, clipNorm: 1 }),
  };
}

const program = classifierProgram({
  name: 'tformer-classify',
  description:
    'Train the Keras-style Transformer text classifier (embedding, one Transformer block, pooling, dense) on label<TAB>text files, on the backend you pick.',
  examples: `
Examples:
  tformer-classify                               train on the default task (generated sentiment)
  tformer-classify train --data reviews.tsv --valid reviews.valid.tsv --test reviews.test.tsv --vocab-size 8000
  tformer-classify train --pooling cls --layers 2 --backend wasm
  tformer-classify resume --out runs/classify --steps 600
  tformer-classify eval --out runs/classify        accuracy, macro-F1, confusion matrix
  tformer-classify predict "the food was not great" "i loved the staff"

Data files: one example per line, the label, a tab, then the text (blank lines are skipped).`,
  defaultOut: DEFAULT_OUT,
  unit: 'examples',
  data: {
    argument: '<file>',
    help: 'label<TAB>text training file (default: generated sentiment)',
    format: 'label<TAB>text file',
  },
  train: {
    description: 'learn a WordPiece vocabulary and train a classifier (default)',
    modelOptions: (command) =>
      command
        .option(
          '--vocab-size <n>',
          'WordPiece vocabulary size',
          parseInteger('--vocab-size', 10),
          500,
        )
        .option(
          '--max-length <n>',
          `tokens per text, longer ones are cut (default: the ${100 * LENGTH_PERCENTILE}th percentile of the training texts' token lengths, at most ${MAX_LENGTH_CAP})`,
          parseInteger('--max-length', 1),
        )
        .option('--d-model <n>', 'embedding width', parseInteger('--d-model', 1), 32)
        .option('--heads <n>', 'attention heads', parseInteger('--heads', 1), 2)
        .option('--d-ff <n>', 'feed-forward width', parseInteger('--d-ff', 1), 32)
        .option('--layers <n>', 'Transformer blocks', parseInteger('--layers', 1), 1)
        .addOption(
          new Option('--pooling <kind>', 'how positions become one vector')
            .choices(['mean', 'max', 'cls'])
            .default('mean'),
        )
        .option('--dropout <p>', 'dropout rate', parseNumber('--dropout', 0, 0.9), 0.1),
    learningRate: 3e-3,
    run: (runDir, flags: TrainFlags) => trainCommand(configFrom(flags), runDir, flags),
  },
  resume: resumeCommand,
  eval: evalCommand,
  predict: {
    description: "classify texts with a run's saved model",
    argument: ['[texts...]', 'texts to classify (default: the lines of stdin)'],
    run: async (runDir, flags, texts) =>
      predictCommand(runDir, flags, await argsOrStdinLines(texts)),
  },
});

await runProgram(program);
