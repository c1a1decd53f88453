import { extname } from 'node:path';
import { DataFileError, readTextLines, UsageError } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { DEFAULT_TRAIN_PAIRS, type ParallelFiles, type TranslateConfig } from './config.js';
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

/**
 * The held-out files of `--valid`/`--test <prefix>`: `<prefix>.<ext>` for each side, with the
 * extensions of `--src` and `--tgt` (fairseq's convention: train.en/train.de, then test.en/test.de).
 * Training files without two different extensions are a {@link UsageError} naming `flag`.
 */
export function prefixFiles(prefix: string, train: ParallelFiles, flag: string): ParallelFiles {
  const src = extname(train.src);
  const tgt = extname(train.tgt);
  if (src === '' || tgt === '' || src === tgt) {
    throw new UsageError(
      `${flag} ${prefix}: held-out files are <prefix>.<language>, after the extensions of --src and --tgt, which must differ (e.g. train.en, train.de); got ${train.src}, ${train.tgt}`,
    );
  }
  return { src: `${prefix}${src}`, tgt: `${prefix}${tgt}` };
}

export interface Corpus {
  train: Pair[];
  /** The `--valid` pairs, or null: evaluations use the test pairs. */
  valid: Pair[] | null;
  test: Pair[];
  /** Where the pairs came from, for the log and config.json. */
  source: string;
}

/**
 * The run's pairs, split: the `--valid`/`--test` files when given, else the `--src`/`--tgt`
 * files' last `testSize` pairs are held out; or the generated task.
 */
export async function loadCorpus(
  config: Pick<TranslateConfig, 'data' | 'testSize'>,
  seed: number,
): Promise<Corpus> {
  if (config.data === null) {
    const { train, test } = numberPairs(createRng(seed), DEFAULT_TRAIN_PAIRS, config.testSize);
    return { train, valid: null, test, source: 'generated: digits → English number words' };
  }
  const { src, tgt } = config.data;
  // Configs written before --valid/--test have neither field.
  const validFiles = config.data.valid ?? null;
  const testFiles = config.data.test ?? null;
  const [pairs, valid, testPairs] = await Promise.all([
    readParallelFiles(src, tgt),
    validFiles && readParallelFiles(validFiles.src, validFiles.tgt),
    testFiles && readParallelFiles(testFiles.src, testFiles.tgt),
  ]);
  const held = [
    ...(validFiles ? [`valid: ${validFiles.src} → ${validFiles.tgt}`] : []),
    ...(testFiles ? [`test: ${testFiles.src} → ${testFiles.tgt}`] : []),
  ];
  const source = `${src} → ${tgt}${held.length > 0 ? ` (${held.join(', ')})` : ''}`;
  if (testPairs) return { train: pairs, valid, test: testPairs, source };
  if (pairs.length <= config.testSize) {
    throw new DataFileError(
      src,
      `${pairs.length} sentence pairs: need more than --test-size ${config.testSize} to train and test`,
    );
  }
  const cut = pairs.length - config.testSize;
  return { train: pairs.slice(0, cut), valid, test: pairs.slice(cut), source };
}
