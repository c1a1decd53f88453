import { join } from 'node:path';
import {
  type BackendOptions,
  checkRunClasses,
  evalSplitOf,
  formatTestResult,
  type RunDir,
  resumedConfig,
  startBackend,
} from '@tformer/app-kit';
import type { EncoderClassifier } from '@tformer/model';
import { loadModel, saveModel } from '@tformer/model/node';
import type { WordPieceTokenizer } from '@tformer/tokenizer';
import type { EncodedExample } from './batches.js';
import type { ClassifyConfig } from './config.js';
import { type Example, loadCorpus } from './data.js';
import { ClassifyRun, classProbabilities, type TestResult, testMetrics } from './run.js';
import {
  encodeText,
  LENGTH_PERCENTILE,
  lengthPercentile,
  loadTokenizer,
  MAX_LENGTH_CAP,
  saveTokenizer,
  trainTokenizer,
} from './vocab.js';

const MODEL_DIR = 'model';
const out = (text: string) => process.stdout.write(text);

function encode(
  examples: readonly Example[],
  tokenizer: WordPieceTokenizer,
  labels: readonly string[],
  maxLength: number,
): EncodedExample[] {
  return examples.map((e) => ({
    ids: encodeText(tokenizer, e.text, maxLength),
    label: labels.indexOf(e.label),
  }));
}

/**
 * The run's examples as ids, with the class list of `config.json` (a resumed run keeps its own);
 * `eval` is what evaluations during training use: the `--valid` examples, else the test ones.
 */
async function encodedCorpus(config: ClassifyConfig, tokenizer: WordPieceTokenizer) {
  const corpus = await loadCorpus(config.data, config.testSize, config.train.seed);
  checkRunClasses(config.data?.train ?? 'generated data', corpus.labels, config.labels, 'the file');
  const encoded = (examples: readonly Example[]) =>
    encode(examples, tokenizer, config.labels, config.model.maxLength);
  const test = encoded(corpus.test);
  return {
    train: encoded(corpus.train),
    eval: corpus.valid ? encoded(corpus.valid) : test,
    test,
  };
}

function report(result: TestResult, labels: readonly string[], count: number): void {
  out(formatTestResult(result, labels, count, 'examples'));
}

async function finish(run: ClassifyRun, runDir: RunDir, test: EncodedExample[]): Promise<void> {
  const result = await testMetrics(run.model, test, run.config.labels.length);
  await saveModel(join(runDir.path, MODEL_DIR), run.model);
  await runDir.appendMetrics({
    step: run.trainer.step,
    split: 'test',
    accuracy: result.accuracy,
    macroF1: result.macroF1,
  });
  report(result, run.config.labels, test.length);
  const plot = await runDir.writeLossPlot(`classify: ${run.config.corpus}`);
  out(
    `\nrun directory: ${runDir.path} (config.json, tokenizer.json, model/, checkpoints/, metrics.jsonl, ${plot.slice(runDir.path.length + 1)})\n`,
  );
}

/** `train`: learn a WordPiece vocabulary, train the classifier, report test metrics. */
export async function trainCommand(
  config: ClassifyConfig,
  runDir: RunDir,
  backend: BackendOptions & { force?: boolean },
): Promise<void> {
  await startBackend(backend);
  const corpus = await loadCorpus(config.data, config.testSize, config.train.seed);
  out(
    `data: ${corpus.source}, ${corpus.train.length} training, ${corpus.valid ? `${corpus.valid.length} validation, ` : ''}${corpus.test.length} test examples, classes ${corpus.labels.join(', ')}\n`,
  );
  const started = performance.now();
  const tokenizer = trainTokenizer(
    corpus.train.map((e) => e.text),
    config.tokenizer.vocabSize,
  );
  out(
    `tokenizer: WordPiece, ${tokenizer.vocabSize} tokens (${Math.round(performance.now() - started)} ms)\n`,
  );
  const lengths = corpus.train.map((e) => tokenizer.encode(e.text).length);
  const maxLength = config.model.maxLength || lengthPercentile(lengths);
  const cut = lengths.filter((n) => n > maxLength).length;
  out(
    `max length: ${maxLength} tokens (${config.model.maxLength ? '--max-length' : `the ${100 * LENGTH_PERCENTILE}th percentile of the training texts' lengths, at most ${MAX_LENGTH_CAP}; --max-length sets it`}): cuts ${cut} of ${lengths.length} training texts, longest ${Math.max(...lengths)}\n`,
  );
  const resolved: ClassifyConfig = {
    ...config,
    corpus: corpus.source,
    labels: corpus.labels,
    model: {
      ...config.model,
      vocabSize: tokenizer.vocabSize,
      numClasses: corpus.labels.length,
      maxLength,
    },
  };
  // Refuses a run directory that holds a run (unless --force) and takes its lock; config.json
  // is written with the first checkpoint.
  await runDir.prepareForTraining({
    force: backend.force ?? false,
    extraFiles: ['tokenizer.json'],
  });
  await saveTokenizer(runDir.path, tokenizer);
  const data = await encodedCorpus(resolved, tokenizer);
  const run = new ClassifyRun(resolved, runDir, data);
  try {
    const m = resolved.model;
    out(
      `model: EncoderClassifier, ${m.numLayers ?? 1} Transformer block, d ${m.dModel}, ${m.numHeads} heads, FFN ${m.dFF}, ${m.pooling} pooling, ${run.model.parameterCount().toLocaleString('en')} parameters\n`,
    );
    const split = evalSplitOf(resolved.data?.valid);
    const before = await run.evaluation();
    out(
      `before training: ${split} loss ${before.loss.toFixed(4)}, accuracy ${(100 * (before.accuracy ?? 0)).toFixed(1)}%\ntraining ${resolved.train.steps} steps of ${resolved.train.batchSize} examples\n`,
    );
    const trainStart = performance.now();
    await run.fit();
    const seconds = (performance.now() - trainStart) / 1000;
    const after = await run.evaluation();
    out(
      `after training: ${split} loss ${after.loss.toFixed(4)}, accuracy ${(100 * (after.accuracy ?? 0)).toFixed(1)}%, ${seconds.toFixed(1)} s\n`,
    );
    await finish(run, runDir, data.test);
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
  const config = await resumedConfig<ClassifyConfig>(runDir, steps);
  const tokenizer = await loadTokenizer(runDir.path);
  const data = await encodedCorpus(config, tokenizer);
  const run = new ClassifyRun(config, runDir, data);
  try {
    await run.resumeAndFit({ saveConfig: steps !== undefined });
    await finish(run, runDir, data.test);
  } finally {
    run.dispose();
  }
}

async function loadSaved(runDir: RunDir) {
  await runDir.requireSavedModel(MODEL_DIR);
  const config = await runDir.readConfig<ClassifyConfig>();
  const tokenizer = await loadTokenizer(runDir.path);
  const model = (await loadModel(join(runDir.path, MODEL_DIR))) as EncoderClassifier;
  return { config, tokenizer, model };
}

/** `eval`: accuracy, macro-F1 and confusion matrix of the saved model on the test split. */
export async function evalCommand(runDir: RunDir, backend: BackendOptions): Promise<void> {
  await startBackend(backend);
  const { config, tokenizer, model } = await loadSaved(runDir);
  try {
    const { test } = await encodedCorpus(config, tokenizer);
    report(await testMetrics(model, test, config.labels.length), config.labels, test.length);
  } finally {
    model.dispose();
  }
}

/** `predict`: the class of each text, with its probability (and the runner-up's). */
export async function predictCommand(
  runDir: RunDir,
  backend: BackendOptions,
  texts: string[],
): Promise<void> {
  await startBackend(backend);
  const { config, tokenizer, model } = await loadSaved(runDir);
  try {
    const examples = texts.map((text) => ({
      ids: encodeText(tokenizer, text, config.model.maxLength),
      label: 0, // unused: predictions only
    }));
    const probabilities = await classProbabilities(model, examples, 'predict');
    probabilities.forEach((p, i) => {
      const ranked = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
      const [best, second] = ranked;
      const runnerUp =
        second === undefined ? '' : `, ${config.labels[second]} ${p[second]!.toFixed(3)}`;
      out(`${config.labels[best!]}\t${p[best!]!.toFixed(3)}${runnerUp}\t${texts[i]}\n`);
    });
  } finally {
    model.dispose();
  }
}
