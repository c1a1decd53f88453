#!/usr/bin/env node
import {
  type AppTrainFlags,
  addHfCommands,
  addSavedRunCommand,
  addStepOptions,
  appProgram,
  dataPathsOf,
  parseInteger,
  parseNumber,
  runProgram,
  trainSettingsOf,
} from '@tformer/app-kit';
import { type Command, Option } from 'commander';
import {
  evalCommand,
  generateCommand,
  resumeCommand,
  type SampleFlags,
  trainCommand,
} from './commands.js';
import { type TextgenConfig, VALIDATION_FRACTION } from './config.js';
import { addDistillCommand } from './distill.js';
import { addExplainCommand } from './explain.js';
import { hfCommands } from './hf-commands.js';
import { addQuantizeCommand } from './quantize.js';
import type { TokenizerKind } from './tokenizers.js';

const DEFAULT_OUT = 'runs/textgen';

/** Without `--test`, textgen holds out the corpus's tail (no `--test-size`). */
interface TrainFlags extends Omit<AppTrainFlags, 'testSize'>, SampleFlags {
  data?: string;
  tokenizer: TokenizerKind;
  vocabSize: number;
  blockSize: number;
  layers: number;
  heads: number;
  dModel: number;
  evalBatches: number;
}

function addSampleOptions(command: Command): Command {
  return command
    .option('--prompt <text>', 'text to continue (default: the start of the validation text)')
    .option('--sample-tokens <n>', 'tokens to sample', parseInteger('--sample-tokens', 1), 240)
    .option(
      '--temperature <t>',
      'sampling temperature (0: greedy)',
      parseNumber('--temperature', 0, 10),
      0.8,
    )
    .option(
      '--top-k <k>',
      'sample among the k most likely tokens (default: all)',
      parseInteger('--top-k', 1),
    )
    .option(
      '--top-p <p>',
      'nucleus sampling: the smallest set with this much probability (default: 1, off)',
      parseNumber('--top-p', 0, 1),
    );
}

function configFrom(flags: TrainFlags): TextgenConfig {
  return {
    app: 'textgen',
    version: 1,
    ...dataPathsOf(flags),
    tokenizer: { kind: flags.tokenizer, vocabSize: flags.vocabSize },
    model: {
      vocabSize: 0, // the tokenizer's, once learned
      maxLength: flags.blockSize,
      numLayers: flags.layers,
      numHeads: flags.heads,
      dModel: flags.dModel,
      useBias: false,
      dropout: 0,
    },
    train: {
      ...trainSettingsOf(flags, { weightDecay: 0.1, clipNorm: 1 }),
      evalBatches: flags.evalBatches,
    },
  };
}

const { program, train } = appProgram({
  name: 'tformer-textgen',
  description:
    'Train a GPT-style language model on text and sample from it, on the backend you pick.',
  examples: `
Examples:
  tformer-textgen                               train on the default corpus (TypeScript's lib.*.d.ts)
  tformer-textgen train --data input.txt --steps 2000 --layers 4 --d-model 128
  tformer-textgen train --data train.txt --valid valid.txt --test test.txt
  tformer-textgen train --tokenizer bpe --vocab-size 512 --backend wasm
  tformer-textgen resume --out runs/textgen     continue an interrupted run
  tformer-textgen eval --out runs/textgen       validation loss of the saved model
  tformer-textgen generate --prompt "interface " --sample-tokens 400
  tformer-textgen export --format hf --to runs/hf   a Hugging Face folder (docs/interop.md)
  tformer-textgen import runs/hf-ddp --out runs/back
  tformer-textgen quantize --run runs/textgen --out runs/textgen-q4 --bits 4
  tformer-textgen distill --teacher runs/textgen --out runs/student --d-model 32`,
  defaultOut: DEFAULT_OUT,
  train: {
    description: 'learn a tokenizer and train a model (default)',
    options: (command) =>
      addSampleOptions(command).option(
        '--data <file>',
        'a UTF-8 text file (default: the TypeScript lib files in node_modules)',
      ),
    heldOut: {
      argument: '<file>',
      format: 'UTF-8 text file',
      validDefault: `the last ${100 * VALIDATION_FRACTION}% of the tokens of --data`,
      testDefault:
        'none; with one, its loss over every token is reported after training and by eval',
    },
    run: (runDir, flags: TrainFlags) => trainCommand(configFrom(flags), runDir, flags, flags),
  },
  resume: resumeCommand,
  eval: { description: "validation loss of a run's saved model", run: evalCommand },
});

train
  .addOption(
    new Option('--tokenizer <kind>', 'char or byte-level BPE')
      .choices(['char', 'bpe'])
      .default('char'),
  )
  .option('--vocab-size <n>', 'BPE vocabulary size', parseInteger('--vocab-size', 257), 512);
addStepOptions(train, { steps: 400, batchSize: 16, unit: 'windows' })
  .option('--block-size <n>', 'context length in tokens', parseInteger('--block-size', 2), 64)
  .option('--layers <n>', 'Transformer blocks', parseInteger('--layers', 1), 2)
  .option('--heads <n>', 'attention heads', parseInteger('--heads', 1), 4)
  .option('--d-model <n>', 'model width', parseInteger('--d-model', 1), 64)
  .option(
    '--lr <rate>',
    'peak learning rate (warmup, then cosine to a tenth)',
    parseNumber('--lr', 0, 1),
    3e-3,
  )
  .option(
    '--eval-every <n>',
    'evaluate and checkpoint every n steps',
    parseInteger('--eval-every', 1),
    100,
  )
  .option(
    '--eval-batches <n>',
    'validation batches per evaluation',
    parseInteger('--eval-batches', 1),
    4,
  );

addSampleOptions(
  addSavedRunCommand<SampleFlags>(
    program,
    DEFAULT_OUT,
    { name: 'generate', description: "stream text from a run's saved model" },
    (runDir, flags) => generateCommand(runDir, flags, flags),
  ),
);

addExplainCommand(program, DEFAULT_OUT);
addHfCommands(program, DEFAULT_OUT, hfCommands);
addQuantizeCommand(program, DEFAULT_OUT);
addDistillCommand(program);

await runProgram(program);
