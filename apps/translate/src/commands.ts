import { join } from 'node:path';
import {
  type BackendOptions,
  forDecoding,
  loadSavedRun,
  type RunDir,
  resumeAndFinish,
  runDirectoryLine,
  saveWithTestMetrics,
  startBackend,
  UsageError,
  useSavedRun,
  writeFileAtomic,
} from '@tformer/app-kit';
import type { EncoderDecoder } from '@tformer/model';
import { type EncodedPair, encodeHeldOut, encodePairs } from './batches.js';
import type { TranslateConfig } from './config.js';
import { type Corpus, loadCorpus, type Pair } from './data.js';
import { TranslateRun } from './run.js';
import { evaluateTest, translateInBatches } from './translate.js';
import { loadVocabs, saveVocabs, trainVocabs, type Vocabs } from './vocab.js';

const out = (text: string) => process.stdout.write(text);

/**
 * The run's pairs as ids: training pairs longer than `maxTokens` are left out (an empty training
 * split is a usage error); held-out pairs are all kept, cut for the loss, and the log says how many.
 */
function encodeCorpus(corpus: Corpus, vocabs: Vocabs, maxTokens: number): EncodedCorpus {
  const train = encodePairs(corpus.train, vocabs, maxTokens);
  if (train.dropped > 0)
    out(`train: left out ${train.dropped} pairs longer than --max-tokens ${maxTokens}\n`);
  if (train.encoded.length === 0)
    throw new UsageError(`train split: no pair fits in --max-tokens ${maxTokens} tokens`);
  const heldOut = (split: 'valid' | 'test', pairs: readonly Pair[]) => {
    const { encoded, truncated } = encodeHeldOut(pairs, vocabs, maxTokens);
    if (truncated > 0)
      out(
        `${split}: ${truncated} of ${pairs.length} pairs longer than --max-tokens ${maxTokens}, kept: cut to it for the loss and translation, scored against their whole reference\n`,
      );
    return encoded;
  };
  const test = heldOut('test', corpus.test);
  const valid = corpus.valid && heldOut('valid', corpus.valid);
  return { train: train.encoded, eval: valid ?? test, testPairs: corpus.test };
}

interface EncodedCorpus {
  train: EncodedPair[];
  /** What evaluations during training use: the `--valid` pairs, else the test pairs. */
  eval: EncodedPair[];
  /** Every test pair, for BLEU. */
  testPairs: Pair[];
}

/** The test report's first line: BLEU and exact matches over `count` held-out pairs. */
const bleuLine = (result: { bleu: number; exactMatch: number }, count: number, beams: number) =>
  `test BLEU ${result.bleu.toFixed(2)}, exact match ${(100 * result.exactMatch).toFixed(1)}% (${count} held-out pairs, beam ${beams})\n`;

async function finish(run: TranslateRun, runDir: RunDir, vocabs: Vocabs, testPairs: Pair[]) {
  const result = await evaluateTest(run.model, vocabs, testPairs, run.config.decode);
  await saveWithTestMetrics(run, runDir, { bleu: result.bleu, exactMatch: result.exactMatch });
  await writeFileAtomic(join(runDir.path, 'test.hyp.txt'), `${result.hypotheses.join('\n')}\n`);
  out(bleuLine(result, testPairs.length, run.config.decode.beams));
  for (let i = 0; i < Math.min(5, testPairs.length); i++) {
    const { src, tgt } = testPairs[i]!;
    out(
      `  ${src}  →  ${result.hypotheses[i]}${result.hypotheses[i] === tgt ? '' : `   (reference: ${tgt})`}\n`,
    );
  }
  out(
    await runDirectoryLine(runDir, `translate: ${run.config.corpus}`, [
      'vocab.json',
      'test.hyp.txt',
    ]),
  );
}

/** `train`: learn the BPE(s), train the encoder-decoder, then beam-search the test split for BLEU. */
export async function trainCommand(
  config: TranslateConfig,
  runDir: RunDir,
  backend: BackendOptions & { force?: boolean },
): Promise<void> {
  await startBackend(backend);
  const corpus = await loadCorpus(config, config.train.seed);
  out(
    `corpus: ${corpus.source}, ${corpus.train.length} training pairs, ${corpus.valid ? `${corpus.valid.length} validation, ` : ''}${corpus.test.length} test\n`,
  );
  const started = performance.now();
  const vocabs = trainVocabs(corpus.train, config.vocab.bpeSize, config.vocab.shared);
  out(
    `vocabulary: ${config.vocab.shared ? `one shared BPE of ${vocabs.src.size}` : `BPE ${vocabs.src.size} source, ${vocabs.tgt.size} target`} tokens with <pad> <s> </s> (${Math.round(performance.now() - started)} ms)\n`,
  );
  const resolved: TranslateConfig = {
    ...config,
    corpus: corpus.source,
    model: { ...config.model, srcVocabSize: vocabs.src.size, tgtVocabSize: vocabs.tgt.size },
  };
  const data = encodeCorpus(corpus, vocabs, config.maxTokens);
  // Refuses a run directory that holds a run (unless --force) and takes its lock; config.json
  // is written with the first checkpoint.
  await runDir.prepareForTraining({
    force: backend.force ?? false,
    extraFiles: ['vocab.json', 'test.hyp.txt'],
  });
  await saveVocabs(runDir.path, vocabs);
  const run = new TranslateRun(resolved, runDir, data);
  try {
    const m = resolved.model;
    out(
      `model: EncoderDecoder ${m.numLayers} layers × ${m.numHeads} heads × d ${m.dModel}, ${run.model.parameterCount().toLocaleString('en')} parameters\n`,
    );
    const before = await run.evalLoss();
    const t = resolved.train;
    out(
      `${run.evalSplit} loss before training: ${before.toFixed(4)}\ntraining ${t.steps} steps of ${t.batchSize} pairs, ${t.schedule} schedule peaking at ${t.learningRate} after ${t.warmupSteps} steps, label smoothing ${t.labelSmoothing}\n`,
    );
    const trainStart = performance.now();
    await run.fit();
    const seconds = (performance.now() - trainStart) / 1000;
    out(
      `${run.evalSplit} loss after training: ${(await run.evalLoss()).toFixed(4)} (before: ${before.toFixed(4)}), ${seconds.toFixed(1)} s\n`,
    );
    await finish(run, runDir, vocabs, data.testPairs);
  } finally {
    run.dispose();
  }
}

/** `resume`: continue a run from its last checkpoint, to `steps` in all (default: the planned total). */
export async function resumeCommand(
  config: TranslateConfig,
  runDir: RunDir,
  steps: number | undefined,
): Promise<void> {
  const vocabs = await loadVocabs(runDir.path);
  const data = encodeCorpus(await loadCorpus(config, config.train.seed), vocabs, config.maxTokens);
  await resumeAndFinish(new TranslateRun(config, runDir, data), steps, async (run) => {
    out(
      `${run.evalSplit} loss: ${(await run.evalLoss()).toFixed(4)} at step ${run.trainer.step}\n`,
    );
    await finish(run, runDir, vocabs, data.testPairs);
  });
}

/** A run's config, vocabularies and saved model (the caller disposes the model). */
export async function loadSaved(runDir: RunDir) {
  const saved = await loadSavedRun<TranslateConfig, EncoderDecoder>(runDir);
  return { ...saved, vocabs: await loadVocabs(runDir.path) };
}

/**
 * What `eval` and `translate` share: starts the backend, loads the saved run, lets `use` decode
 * with `decode` over the run's own settings, and disposes the model either way.
 */
function useSavedDecoder(
  runDir: RunDir,
  backend: BackendOptions,
  decode: Partial<TranslateConfig['decode']>,
  use: (
    saved: Awaited<ReturnType<typeof loadSaved>>,
    settings: TranslateConfig['decode'],
  ) => Promise<void>,
): Promise<void> {
  return useSavedRun(
    forDecoding(backend),
    () => loadSaved(runDir),
    (saved) => use(saved, { ...saved.config.decode, ...decode }),
  );
}

/** `eval`: BLEU of the saved model on the run's held-out pairs, `batchSize` sentences at a time. */
export async function evalCommand(
  runDir: RunDir,
  backend: BackendOptions,
  decode: Partial<TranslateConfig['decode']>,
  batchSize: number,
): Promise<void> {
  await useSavedDecoder(runDir, backend, decode, async ({ config, vocabs, model }, settings) => {
    const corpus = await loadCorpus(config, config.train.seed);
    const { testPairs } = encodeCorpus(corpus, vocabs, config.maxTokens);
    const result = await evaluateTest(model, vocabs, testPairs, settings, batchSize);
    out(bleuLine(result, testPairs.length, settings.beams));
  });
}

/**
 * `translate`: translate the given sentences (or stdin's lines) with the saved model, `batchSize`
 * at a time, one line out per line in (each batch is printed as soon as it is done).
 */
export async function translateCommand(
  runDir: RunDir,
  backend: BackendOptions,
  sentences: string[],
  decode: Partial<TranslateConfig['decode']>,
  batchSize: number,
): Promise<void> {
  await useSavedDecoder(runDir, backend, decode, async ({ vocabs, model }, settings) => {
    for await (const batch of translateInBatches(model, vocabs, sentences, settings, batchSize)) {
      out(batch.map((line) => `${line}\n`).join(''));
    }
  });
}
