import {
  type BackendOptions,
  forDecoding,
  loadSavedRun,
  type RunDir,
  resumeAndFinish,
  runDirectoryLine,
  saveRunModel,
  startBackend,
  UsageError,
  useSavedRun,
} from '@tformer/app-kit';
import { type DecoderLM, type DecoderLMConfig, upgradeModelConfig } from '@tformer/model';
import type { TextgenConfig } from './config.js';
import { type Corpus, loadCorpus } from './corpus.js';
import { heldOutLoss, splitTokens, TextgenRun, validationLoss } from './run.js';
import { type SampleOptions, sample } from './sample.js';
import { loadTokenizer, saveTokenizer, type TextTokenizer, trainTokenizer } from './tokenizers.js';

const out = (text: string) => process.stdout.write(text);

/** Options of `train` that are not in {@link TextgenConfig}: how to sample before and after. */
export interface SampleFlags {
  sampleTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  prompt?: string;
}

/** The run's training text: the `--data` file, or the default corpus. */
const trainingCorpus = (config: TextgenConfig): Promise<Corpus> =>
  loadCorpus(config.dataPath ?? undefined, 2 * config.model.maxLength + 2);

/**
 * The run's corpus as token ids: the `--valid` file's as validation tokens, else the corpus's
 * tail; the `--test` file's (null without one). Training and validation must each hold a window.
 * `corpus`: the training text when the caller has read it already (`train` learns its tokenizer
 * from it), else it is read here.
 */
export async function tokensOf(
  config: TextgenConfig,
  tokenizer: TextTokenizer,
  corpus?: Corpus,
): Promise<{ train: Int32Array; val: Int32Array; test: Int32Array | null }> {
  const { maxLength } = config.model;
  const [training, valid, test] = await Promise.all([
    corpus ?? trainingCorpus(config),
    config.validPath ? loadCorpus(config.validPath, maxLength + 1) : null,
    config.testPath ? loadCorpus(config.testPath, 2) : null,
  ]);
  const ids = (text: string) => Int32Array.from(tokenizer.encode(text));
  const tokens = valid
    ? { train: ids(training.text), val: ids(valid.text) }
    : splitTokens(tokenizer, training.text);
  for (const [split, ids] of Object.entries(tokens)) {
    if (ids.length <= config.model.maxLength) {
      throw new UsageError(
        `${split} split has ${ids.length} tokens, not more than --block-size ${config.model.maxLength}: use more text or a smaller block`,
      );
    }
  }
  return { ...tokens, test: test && ids(test.text) };
}

/**
 * With a `--test` file: its loss over every token, printed and appended to metrics.jsonl (by
 * `eval` only printed).
 */
async function reportTest(
  model: DecoderLM,
  config: TextgenConfig,
  test: Int32Array | null,
  record?: { runDir: RunDir; step: number },
): Promise<void> {
  if (test === null) return;
  const loss = await heldOutLoss(model, config, test);
  out(
    `test loss ${loss.toFixed(4)} nats/token, perplexity ${Math.exp(loss).toFixed(2)} (every one of ${(test.length - 1).toLocaleString('en')} next-token predictions of ${config.testPath})\n`,
  );
  if (record) await record.runDir.appendMetrics({ step: record.step, split: 'test', loss });
}

function sampleOptions(flags: SampleFlags, valText: string, seed: number): SampleOptions {
  // By default the prompt is the start of the validation text: always in the vocabulary.
  const prompt = flags.prompt ?? valText.slice(0, 16);
  return {
    prompt,
    tokens: flags.sampleTokens,
    temperature: flags.temperature,
    topK: flags.topK,
    topP: flags.topP,
    seed,
  };
}

/** `train`: learn a tokenizer, train the model, show validation loss and samples before and after. */
export async function trainCommand(
  config: TextgenConfig,
  runDir: RunDir,
  backend: BackendOptions & { force?: boolean },
  flags: SampleFlags,
): Promise<void> {
  await startBackend(backend);
  const corpus = await trainingCorpus(config);
  out(`corpus: ${corpus.source}, ${corpus.text.length.toLocaleString('en')} characters\n`);
  const started = performance.now();
  const tokenizer = trainTokenizer(config.tokenizer.kind, corpus.text, config.tokenizer.vocabSize);
  out(
    `tokenizer: ${config.tokenizer.kind}, ${tokenizer.vocabSize} tokens (${Math.round(performance.now() - started)} ms)\n`,
  );
  const resolved: TextgenConfig = {
    ...config,
    corpus: corpus.source,
    model: { ...config.model, vocabSize: tokenizer.vocabSize },
  };
  // Refuses a run directory that holds a run (unless --force) and takes its lock; config.json
  // is written with the first checkpoint.
  await runDir.prepareForTraining({
    force: backend.force ?? false,
    extraFiles: ['tokenizer.json'],
  });
  await saveTokenizer(runDir.path, tokenizer);

  const tokens = await tokensOf(resolved, tokenizer, corpus);
  const run = new TextgenRun(resolved, runDir, tokens);
  try {
    const valText = tokenizer.decode(run.tokens.val.subarray(0, 64));
    const sampling = sampleOptions(flags, valText, resolved.train.seed);
    out(
      `model: DecoderLM ${resolved.model.numLayers}×${resolved.model.numHeads}×${resolved.model.dModel}, context ${resolved.model.maxLength}, ${run.model.parameterCount().toLocaleString('en')} parameters\n`,
    );
    out(
      `tokens: ${run.tokens.train.length.toLocaleString('en')} train, ${run.tokens.val.length.toLocaleString('en')} validation${config.validPath ? ` (${config.validPath})` : ''}${tokens.test ? `, ${tokens.test.length.toLocaleString('en')} test (${config.testPath})` : ''}\n\n`,
    );

    const before = await run.validationLoss();
    out(
      `validation loss before training: ${before.toFixed(4)} nats/token\n--- sample before training ---\n`,
    );
    await sample(run.model, tokenizer, sampling, out);

    out(
      `\ntraining ${resolved.train.steps} steps of ${resolved.train.batchSize}×${resolved.model.maxLength} tokens\n`,
    );
    const trainStart = performance.now();
    await run.fit();
    const seconds = (performance.now() - trainStart) / 1000;
    const tokensPerSecond =
      (resolved.train.steps * resolved.train.batchSize * resolved.model.maxLength) / seconds;

    const after = await run.validationLoss();
    out(
      `\nvalidation loss after training: ${after.toFixed(4)} nats/token (before: ${before.toFixed(4)}), ${seconds.toFixed(1)} s, ${Math.round(tokensPerSecond)} tokens/s\n--- sample after training ---\n`,
    );
    await sample(run.model, tokenizer, sampling, out);
    out('\n');
    await reportTest(run.model, resolved, tokens.test, { runDir, step: run.trainer.step });

    await saveRunModel(runDir, run.model);
    out(await runDirectoryLine(runDir, `textgen: ${corpus.source}`, ['tokenizer.json']));
  } finally {
    run.dispose();
  }
}

/** `resume`: continue an interrupted run from its last checkpoint, to `steps` (default: the planned total). */
export async function resumeCommand(
  saved: TextgenConfig,
  runDir: RunDir,
  steps: number | undefined,
): Promise<void> {
  const config = withCurrentNames(saved);
  const tokenizer = await loadTokenizer(runDir.path);
  const tokens = await tokensOf(config, tokenizer);
  await resumeAndFinish(new TextgenRun(config, runDir, tokens), steps, async (run) => {
    const loss = await run.validationLoss();
    out(`validation loss: ${loss.toFixed(4)} nats/token at step ${run.trainer.step}\n`);
    await reportTest(run.model, config, tokens.test, { runDir, step: run.trainer.step });
    await saveRunModel(runDir, run.model);
    await runDir.writeLossPlot(`textgen: ${config.corpus}`);
  });
}

async function loadSaved(
  runDir: RunDir,
): Promise<{ model: DecoderLM; tokenizer: TextTokenizer; config: TextgenConfig }> {
  const saved = await loadSavedRun<TextgenConfig, DecoderLM>(runDir);
  const tokenizer = await loadTokenizer(runDir.path);
  return { model: saved.model, tokenizer, config: withCurrentNames(saved.config) };
}

/** `eval`: validation loss and perplexity of the saved model. */
export async function evalCommand(runDir: RunDir, backend: BackendOptions): Promise<void> {
  await useSavedRun(
    backend,
    () => loadSaved(runDir),
    async ({ model, tokenizer, config }) => {
      const { val, test } = await tokensOf(config, tokenizer);
      const loss = await validationLoss(model, config, val);
      out(
        `validation loss ${loss.toFixed(4)} nats/token, perplexity ${Math.exp(loss).toFixed(2)} (${config.train.evalBatches} batches of ${config.train.batchSize}×${config.model.maxLength})\n`,
      );
      await reportTest(model, config, test);
    },
  );
}

/** `generate`: stream a continuation of a prompt from the saved model. */
export async function generateCommand(
  runDir: RunDir,
  backend: BackendOptions,
  flags: SampleFlags & { seed: number },
): Promise<void> {
  await useSavedRun(
    forDecoding(backend),
    () => loadSaved(runDir),
    async ({ model, tokenizer }) => {
      const options = sampleOptions(flags, '\n', flags.seed);
      if (tokenizer.encode(options.prompt).length === 0) {
        throw new UsageError(
          `--prompt: ${JSON.stringify(options.prompt)} has no token in this model's vocabulary`,
        );
      }
      await sample(model, tokenizer, options, out);
    },
  );
}

/** A run's saved config with its model fields under today's names (older runs wrote `blockSize`, `bias`). */
export function withCurrentNames(config: TextgenConfig): TextgenConfig {
  return { ...config, model: upgradeModelConfig('DecoderLM', config.model) as DecoderLMConfig };
}
