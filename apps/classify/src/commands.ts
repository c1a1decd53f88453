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
  useSavedRun,
} from '@tformer/app-kit';
import type { EncoderClassifier } from '@tformer/model';
import type { WordPieceTokenizer } from '@tformer/tokenizer';
import type { EncodedExample } from './batches.js';
import type { ClassifyConfig } from './config.js';
import { type Corpus, type Example, loadCorpus } from './data.js';
import { ClassifyRun, classifyTask } from './run.js';
import {
  encodeText,
  LENGTH_PERCENTILE,
  lengthPercentile,
  loadTokenizer,
  MAX_LENGTH_CAP,
  saveTokenizer,
  trainTokenizer,
} from './vocab.js';

const out = (text: string) => process.stdout.write(text);

const classifierOf = (model: EncoderClassifier) =>
  new Classifier(model, classifyTask(model.config.maxLength));

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

/** The run's examples: its `--data`, `--valid` and `--test` files, or the generated task. */
const corpusOf = (config: ClassifyConfig): Promise<Corpus> =>
  loadCorpus(config.data, config.testSize, config.train.seed);

/**
 * The run's examples as ids, with the class list of `config.json` (a resumed run keeps its own);
 * `eval` is what evaluations during training use: the `--valid` examples, else the test ones.
 * `corpus` is read once by the caller: `train` learns its vocabulary from it too.
 */
function encodedCorpus(config: ClassifyConfig, tokenizer: WordPieceTokenizer, corpus: Corpus) {
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

async function finish(run: ClassifyRun, runDir: RunDir, test: EncodedExample[]): Promise<void> {
  await finishClassifierRun(run, runDir, {
    result: await classifierOf(run.model).testResult(test, run.config.labels.length),
    classes: run.config.labels,
    count: test.length,
    items: 'examples',
    title: `classify: ${run.config.corpus}`,
    files: ['tokenizer.json'],
  });
}

/** `train`: learn a WordPiece vocabulary, train the classifier, report test metrics. */
export async function trainCommand(
  config: ClassifyConfig,
  runDir: RunDir,
  backend: BackendOptions & { force?: boolean },
): Promise<void> {
  await startBackend(backend);
  const corpus = await corpusOf(config);
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
  const data = encodedCorpus(resolved, tokenizer, corpus);
  const run = new ClassifyRun(resolved, runDir, data);
  try {
    const m = resolved.model;
    out(
      `model: EncoderClassifier, ${m.numLayers ?? 1} Transformer block, d ${m.dModel}, ${m.numHeads} heads, FFN ${m.dFF}, ${m.pooling} pooling, ${run.model.parameterCount().toLocaleString('en')} parameters\n`,
    );
    await fitReportingAccuracy(run, evalSplitOf(resolved.data?.valid), 'examples');
    await finish(run, runDir, data.test);
  } finally {
    run.dispose();
  }
}

/** `resume`: continue a run from its last checkpoint, to `steps` in all (default: the planned total). */
export async function resumeCommand(
  config: ClassifyConfig,
  runDir: RunDir,
  steps: number | undefined,
): Promise<void> {
  const tokenizer = await loadTokenizer(runDir.path);
  const data = encodedCorpus(config, tokenizer, await corpusOf(config));
  await resumeAndFinish(new ClassifyRun(config, runDir, data), steps, (run) =>
    finish(run, runDir, data.test),
  );
}

async function loadSaved(runDir: RunDir) {
  const saved = await loadSavedRun<ClassifyConfig, EncoderClassifier>(runDir);
  return { ...saved, tokenizer: await loadTokenizer(runDir.path) };
}

/** `eval`: accuracy, macro-F1 and confusion matrix of the saved model on the test split. */
export async function evalCommand(runDir: RunDir, backend: BackendOptions): Promise<void> {
  await useSavedRun(
    backend,
    () => loadSaved(runDir),
    async ({ config, tokenizer, model }) => {
      const { test } = encodedCorpus(config, tokenizer, await corpusOf(config));
      const result = await classifierOf(model).testResult(test, config.labels.length);
      out(formatTestResult(result, config.labels, test.length, 'examples'));
    },
  );
}

/** `predict`: the class of each text, with its probability (and the runner-up's). */
export async function predictCommand(
  runDir: RunDir,
  backend: BackendOptions,
  texts: string[],
): Promise<void> {
  await useSavedRun(
    backend,
    () => loadSaved(runDir),
    async ({ config, tokenizer, model }) => {
      const examples = texts.map((text) => ({
        ids: encodeText(tokenizer, text, config.model.maxLength),
        label: 0, // unused: predictions only
      }));
      const probabilities = await classifierOf(model).probabilities(examples, 'predict');
      out(formatPredictions(probabilities, config.labels, texts));
    },
  );
}
