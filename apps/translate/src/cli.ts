#!/usr/bin/env node
import {
  type AppTrainFlags,
  addHfCommands,
  addSavedRunCommand,
  addStepOptions,
  appProgram,
  argsOrStdinLines,
  type CommonOptions,
  parseInteger,
  parseNumber,
  requireTrainingData,
  runProgram,
  UsageError,
} from '@tformer/app-kit';
import { type Command, Option } from 'commander';
import { evalCommand, resumeCommand, trainCommand, translateCommand } from './commands.js';
import type { ScheduleKind, TranslateConfig } from './config.js';
import { prefixFiles } from './data.js';
import { hfCommands } from './hf-commands.js';
import { DEFAULT_DECODE_BATCH } from './translate.js';
import { PAD } from './vocab.js';

const DEFAULT_OUT = 'runs/translate';

interface DecodeFlags {
  beams?: number;
  maxNewTokens?: number;
  lengthPenalty?: number;
}

interface TrainFlags extends AppTrainFlags, DecodeFlags {
  src?: string;
  tgt?: string;
  maxTokens: number;
  vocabSize: number;
  sharedVocab: boolean;
  layers: number;
  heads: number;
  dModel: number;
  dFf?: number;
  dropout: number;
  schedule: ScheduleKind;
  warmup: number;
  labelSmoothing: number;
}

function addDecodeOptions(command: Command): Command {
  // No commander defaults: eval/translate fall back to what the run was trained with (saved in
  // its config.json), and train to the values named here.
  return command
    .option(
      '--beams <n>',
      "beam width (1: greedy) (default: train 4; eval/translate the run's)",
      parseInteger('--beams', 1),
    )
    .option(
      '--max-new-tokens <n>',
      "longest translation in tokens (default: train --max-tokens − 1; eval/translate the run's)",
      parseInteger('--max-new-tokens', 1),
    )
    .option(
      '--length-penalty <a>',
      "beam score = log p / length^a (default: train 1; eval/translate the run's)",
      parseNumber('--length-penalty', 0, 5),
    );
}

interface BatchFlags {
  batchSize: number;
}

/** `--batch-size` of eval/translate: sentences decoded together (the output does not depend on it). */
function addBatchOption(command: Command): Command {
  return command.option(
    '--batch-size <n>',
    'sentences translated together (same output, faster)',
    parseInteger('--batch-size', 1),
    DEFAULT_DECODE_BATCH,
  );
}

const decodeOf = (flags: DecodeFlags): Partial<TranslateConfig['decode']> => ({
  ...(flags.beams === undefined ? {} : { beams: flags.beams }),
  ...(flags.maxNewTokens === undefined ? {} : { maxNewTokens: flags.maxNewTokens }),
  ...(flags.lengthPenalty === undefined ? {} : { lengthPenalty: flags.lengthPenalty }),
});

function configFrom(flags: TrainFlags): TranslateConfig {
  if ((flags.src === undefined) !== (flags.tgt === undefined))
    throw new UsageError(
      '--src and --tgt: give both parallel files, or neither for the default task',
    );
  const files = flags.src && flags.tgt ? { src: flags.src, tgt: flags.tgt } : null;
  requireTrainingData(flags, files !== null, '--src and --tgt', 'the training files');
  const data = files && {
    ...files,
    valid: flags.valid === undefined ? null : prefixFiles(flags.valid, files, '--valid'),
    test: flags.test === undefined ? null : prefixFiles(flags.test, files, '--test'),
  };
  return {
    app: 'translate',
    version: 1,
    data,
    corpus: files ? `${files.src} → ${files.tgt}` : 'default',
    testSize: flags.testSize,
    maxTokens: flags.maxTokens,
    vocab: { bpeSize: flags.vocabSize, shared: flags.sharedVocab },
    model: {
      srcVocabSize: 0, // the BPEs', once learned
      tgtVocabSize: 0,
      numLayers: flags.layers,
      numHeads: flags.heads,
      dModel: flags.dModel,
      dFF: flags.dFf ?? 2 * flags.dModel,
      dropout: flags.dropout,
      maxLength: flags.maxTokens,
      shareEmbeddings: flags.sharedVocab,
      padTokenId: PAD,
      // nn.LayerNorm's default, which MarianMTModel's layers use: runs export to transformers.
      layerNormEps: 1e-5,
    },
    train: {
      steps: flags.steps,
      batchSize: flags.batchSize,
      schedule: flags.schedule,
      learningRate: flags.lr,
      // Cosine needs a step after the warmup to decay over; Noam peaks at the warmup's end.
      warmupSteps: Math.min(
        flags.warmup,
        flags.schedule === 'cosine' ? flags.steps - 1 : flags.steps,
      ),
      labelSmoothing: flags.labelSmoothing,
      weightDecay: 0.01,
      clipNorm: 1,
      evalEvery: Math.min(flags.evalEvery, flags.steps),
      seed: flags.seed,
    },
    decode: {
      beams: flags.beams ?? 4,
      maxNewTokens: flags.maxNewTokens ?? flags.maxTokens - 1,
      lengthPenalty: flags.lengthPenalty ?? 1,
    },
  };
}

const { program, train } = appProgram({
  name: 'tformer-translate',
  description:
    'Train the encoder-decoder Transformer of "Attention Is All You Need" on parallel text and translate with beam search, on the backend you pick.',
  examples: `
Examples:
  tformer-translate                             train on the default task (digits → English words)
  tformer-translate train --src train.en --tgt train.de --valid valid --test test --vocab-size 2000 --shared-vocab --steps 5000
  tformer-translate train --schedule cosine --lr 1e-3 --backend wasm
  tformer-translate resume --out runs/translate --steps 800
  tformer-translate eval --out runs/translate --beams 8     BLEU on the held-out pairs
  tformer-translate translate 4312 17 2005                  translate sentences (or stdin lines)
  tformer-translate export --out runs/translate --to hf     a MarianMTModel folder for transformers
  tformer-translate import hf --out runs/translate-back     and back (e.g. after training in PyTorch)`,
  defaultOut: DEFAULT_OUT,
  train: {
    description: 'learn the BPE vocabulary and train a model (default)',
    options: addDecodeOptions,
    heldOut: {
      argument: '<prefix>',
      format:
        'pairs <prefix>.<ext>, the extensions of --src and --tgt (train.en, train.de: test → test.en, test.de)',
      validDefault: 'the test pairs',
      testDefault: "the files' last --test-size pairs",
      heldOut: { unit: 'pairs', testSize: 100 },
    },
    run: (runDir, flags: TrainFlags) => trainCommand(configFrom(flags), runDir, flags),
  },
  resume: resumeCommand,
  eval: {
    description: "test BLEU of a run's saved model",
    options: (command) => addBatchOption(addDecodeOptions(command)),
    run: (runDir, flags: CommonOptions & DecodeFlags & BatchFlags) =>
      evalCommand(runDir, flags, decodeOf(flags), flags.batchSize),
  },
});

train
  .option('--src <file>', 'source sentences, one per line (default: generated digits)')
  .option('--tgt <file>', 'their translations, line by line (default: the numbers in words)')
  .option(
    '--max-tokens <n>',
    'longest sentence in tokens: longer training pairs are left out, held-out ones cut',
    parseInteger('--max-tokens', 4),
    64,
  )
  .option(
    '--vocab-size <n>',
    'BPE size per side (256 bytes + merges)',
    parseInteger('--vocab-size', 256),
    320,
  )
  .option('--shared-vocab', 'one BPE and one embedding for source and target', false);
addStepOptions(train, { steps: 600, batchSize: 32, unit: 'sentence pairs' })
  .option(
    '--layers <n>',
    'encoder and decoder layers (the paper’s N)',
    parseInteger('--layers', 1),
    2,
  )
  .option('--heads <n>', 'attention heads', parseInteger('--heads', 1), 4)
  .option('--d-model <n>', 'model width', parseInteger('--d-model', 1), 64)
  .option('--d-ff <n>', 'feed-forward width (default: 2 × d-model)', parseInteger('--d-ff', 1))
  .option('--dropout <p>', 'dropout rate', parseNumber('--dropout', 0, 0.9), 0.1)
  .addOption(
    new Option('--schedule <kind>', 'learning-rate schedule')
      .choices(['noam', 'cosine'])
      .default('noam'),
  )
  .option('--lr <rate>', 'peak learning rate', parseNumber('--lr', 0, 1), 2e-3)
  .option('--warmup <n>', 'warmup steps', parseInteger('--warmup', 1), 60)
  .option('--label-smoothing <e>', 'label smoothing ε', parseNumber('--label-smoothing', 0, 1), 0.1)
  .option(
    '--eval-every <n>',
    'test loss and checkpoint every n steps',
    parseInteger('--eval-every', 1),
    50,
  );

addBatchOption(
  addDecodeOptions(
    addSavedRunCommand<DecodeFlags & BatchFlags>(
      program,
      DEFAULT_OUT,
      {
        name: 'translate',
        description: "translate with a run's saved model",
        argument: ['[sentences...]', 'sentences to translate (default: the lines of stdin)'],
      },
      async (runDir, flags, sentences) =>
        translateCommand(
          runDir,
          flags,
          await argsOrStdinLines(sentences, { keepBlank: true }),
          decodeOf(flags),
          flags.batchSize,
        ),
    ),
  ),
);

addHfCommands(program, DEFAULT_OUT, hfCommands);

await runProgram(program);
