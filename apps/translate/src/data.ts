import { DataFileError, readTextLines } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { DEFAULT_TRAIN_PAIRS, type TranslateConfig } from './config.js';
import { numberPairs, type Pair } from './numbers.js';

export type { Pair } from './numbers.js';

/**
 * Sentence pairs from two line-parallel files: line i of `srcFile` translates to line i of
 * `tgtFile`. Different line counts, or an empty line on either side, are {@link DataFileError}s
 * naming the file(s), the counts and the line.
 */
export async function readParallelFiles(srcFile: string, tgtFile: string): Promise<Pair[]> {
  const [src, tgt] = await Promise.all([readTextLines(srcFile), readTextLines(tgtFile)]);
  if (src.length !== tgt.length) {
    throw new DataFileError(
      srcFile,
      `${src.length} lines, but ${tgtFile} has ${tgt.length}: --src and --tgt must be line-parallel (line i of one translates line i of the other)`,
    );
  }
  return src.map((s, i) => {
    const t = tgt[i]!;
    if (s.trim() === '')
      throw new DataFileError(
        srcFile,
        `empty line (its pair in ${tgtFile} is ${JSON.stringify(t)})`,
        i + 1,
      );
    if (t.trim() === '')
      throw new DataFileError(
        tgtFile,
        `empty line (its pair in ${srcFile} is ${JSON.stringify(s)})`,
        i + 1,
      );
    return { src: s.trim(), tgt: t.trim() };
  });
}

export interface Corpus {
  train: Pair[];
  test: Pair[];
  /** Where the pairs came from, for the log and config.json. */
  source: string;
}

/** The run's pairs, split: the files' last `testSize` pairs are held out, or the generated task. */
export async function loadCorpus(
  config: Pick<TranslateConfig, 'data' | 'testSize'>,
  seed: number,
): Promise<Corpus> {
  if (config.data === null) {
    const { train, test } = numberPairs(createRng(seed), DEFAULT_TRAIN_PAIRS, config.testSize);
    return { train, test, source: 'generated: digits → English number words' };
  }
  const { src, tgt } = config.data;
  const pairs = await readParallelFiles(src, tgt);
  if (pairs.length <= config.testSize) {
    throw new DataFileError(
      src,
      `${pairs.length} sentence pairs: need more than --test-size ${config.testSize} to train and test`,
    );
  }
  const cut = pairs.length - config.testSize;
  return { train: pairs.slice(0, cut), test: pairs.slice(cut), source: `${src} → ${tgt}` };
}
