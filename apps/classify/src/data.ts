import { DataFileError, readTextLines } from '@tformer/app-kit';
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
  test: Example[];
  /** Class names, sorted: a label's index is its class id. */
  labels: string[];
  source: string;
}

/** Examples of the generated default task: training and test drawn independently. */
export const DEFAULT_TRAIN_EXAMPLES = 4000;

/**
 * The run's examples: `--data` (its last `testSize` lines held out, unless `--test` gives a test
 * file) or the generated task. Fewer than two classes in training is a {@link DataFileError};
 * a test label never seen in training is one too, naming the file.
 */
export async function loadCorpus(
  data: { train: string; test: string | null } | null,
  testSize: number,
  seed: number,
): Promise<Corpus> {
  let train: Example[];
  let test: Example[];
  let source: string;
  if (data === null) {
    const examples = sentimentExamples(createRng(seed), DEFAULT_TRAIN_EXAMPLES + testSize);
    train = examples.slice(0, DEFAULT_TRAIN_EXAMPLES);
    test = examples.slice(DEFAULT_TRAIN_EXAMPLES);
    source = 'generated: sentiment with negation and "but"';
  } else if (data.test !== null) {
    [train, test] = await Promise.all([readLabelledFile(data.train), readLabelledFile(data.test)]);
    source = `${data.train} (test: ${data.test})`;
  } else {
    // Shuffled before the split: files are often sorted by label, and a tail of one class
    // would make a useless test split.
    const examples = shuffled(await readLabelledFile(data.train), seed);
    if (examples.length <= testSize) {
      throw new DataFileError(
        data.train,
        `${examples.length} examples: need more than --test-size ${testSize} to train and test`,
      );
    }
    train = examples.slice(0, examples.length - testSize);
    test = examples.slice(examples.length - testSize);
    source = data.train;
  }
  const labels = [...new Set(train.map((e) => e.label))].sort();
  const trainFile = data?.train ?? 'generated data';
  if (labels.length < 2)
    throw new DataFileError(trainFile, `only one class (${labels[0]}) in the training examples`);
  const unknown = test.find((e) => !labels.includes(e.label));
  if (unknown) {
    throw new DataFileError(
      data?.test ?? trainFile,
      `test label ${JSON.stringify(unknown.label)} never occurs in training (classes: ${labels.join(', ')})`,
    );
  }
  return { train, test, labels, source };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
