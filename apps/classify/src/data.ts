import { DataFileError, holdOut, readTextLines } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { type Example, sentimentExamples } from './sentiment.js';

export type { Example } from './sentiment.js';

/**
 * Examples from a `label<TAB>text` file, one per line; blank lines are skipped. A line without a
 * tab, with an empty label or an empty text is a {@link DataFileError} naming the file and line.
 */
export async function readLabelledFile(file: string): Promise<Example[]> {
  const lines = await readTextLines(file);
  const examples: Example[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) {
      throw new DataFileError(
        file,
        `expected label<TAB>text, found no tab in ${JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line)}`,
        i + 1,
      );
    }
    const label = line.slice(0, tab).trim();
    const text = line.slice(tab + 1).trim();
    if (label === '') throw new DataFileError(file, 'empty label before the tab', i + 1);
    if (text === '') throw new DataFileError(file, 'empty text after the tab', i + 1);
    examples.push({ label, text });
  });
  if (examples.length === 0) throw new DataFileError(file, 'no examples: every line is blank');
  return examples;
}

export interface Corpus {
  train: Example[];
  /** The `--valid` examples, or null: evaluations use the test examples. */
  valid: Example[] | null;
  test: Example[];
  /** Class names, sorted: a label's index is its class id. */
  labels: string[];
  source: string;
}

/** Examples of the generated default task: training and test drawn independently. */
export const DEFAULT_TRAIN_EXAMPLES = 4000;

/** The `--data`, `--valid` and `--test` files of a run (`valid` absent in older configs). */
export interface DataFiles {
  train: string;
  valid?: string | null;
  test: string | null;
}

/**
 * The run's examples: `--data` (a seeded shuffle's last `testSize` examples held out, unless
 * `--test` gives a test file), `--valid` if given, or the generated task. Fewer than two classes
 * in training is a {@link DataFileError}; a held-out label never seen in training is one too,
 * naming the file.
 */
export async function loadCorpus(
  data: DataFiles | null,
  testSize: number,
  seed: number,
): Promise<Corpus> {
  if (data === null) {
    const examples = sentimentExamples(createRng(seed), DEFAULT_TRAIN_EXAMPLES + testSize);
    return checked({
      train: examples.slice(0, DEFAULT_TRAIN_EXAMPLES),
      valid: null,
      test: examples.slice(DEFAULT_TRAIN_EXAMPLES),
      source: 'generated: sentiment with negation and "but"',
    });
  }
  const validFile = data.valid ?? null;
  const [examples, valid, test] = await Promise.all([
    readLabelledFile(data.train),
    validFile === null ? null : readLabelledFile(validFile),
    data.test === null ? null : readLabelledFile(data.test),
  ]);
  const held = [
    ...(validFile ? [`valid: ${validFile}`] : []),
    ...(data.test ? [`test: ${data.test}`] : []),
  ];
  const source = `${data.train}${held.length > 0 ? ` (${held.join(', ')})` : ''}`;
  const split = test
    ? { train: examples, test }
    : holdOut(examples, { testSize, seed, source: data.train, unit: 'examples' });
  return checked({ ...split, valid, source }, data);
}

/** Adds the class list, after checking that every held-out label is a training one. */
function checked(corpus: Omit<Corpus, 'labels'>, data?: DataFiles): Corpus {
  const labels = [...new Set(corpus.train.map((e) => e.label))].sort();
  const trainFile = data?.train ?? 'generated data';
  if (labels.length < 2)
    throw new DataFileError(trainFile, `only one class (${labels[0]}) in the training examples`);
  for (const [split, file] of [
    ['valid', data?.valid],
    ['test', data?.test],
  ] as const) {
    const unknown = corpus[split]?.find((e) => !labels.includes(e.label));
    if (unknown) {
      throw new DataFileError(
        file ?? trainFile,
        `${split} label ${JSON.stringify(unknown.label)} never occurs in training (classes: ${labels.join(', ')})`,
      );
    }
  }
  return { ...corpus, labels };
}
