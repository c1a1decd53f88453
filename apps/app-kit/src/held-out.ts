import { createRng } from '@tformer/nn';
import type { Command } from 'commander';
import { parseInteger } from './common-options.js';
import { DataFileError } from './data-file-error.js';
import { UsageError } from './run-cli.js';

/** The held-out-set flags every app's `train` shares: what {@link addHeldOutOptions} adds. */
export interface HeldOutFlags {
  /** Validation set: evaluated every `--eval-every` steps. */
  valid?: string;
  /** Test set: the final metrics, and `eval`'s. */
  test?: string;
  testSize: number;
}

/** How an app words its held-out sets in `--help`. */
export interface HeldOutWording {
  /** What `--valid` and `--test` name, e.g. `<file>`, `<folder>`, `<prefix>`. */
  argument: string;
  /** What the path holds, e.g. 'label<TAB>text file'. */
  format: string;
  /** What `--valid` defaults to, e.g. 'the test set'. */
  validDefault: string;
  /** What `--test` defaults to, e.g. 'the last --test-size examples of --data'. */
  testDefault: string;
  /** Without `--test`, this many items (`unit`s) of the training data are held out; absent: no `--test-size`. */
  heldOut?: { unit: string; testSize: number };
}

/**
 * Adds `--valid`, `--test` and `--test-size` to an app's `train`, with the same names and meaning
 * in every app: `--valid` is what the loss is evaluated on during training, `--test` what the final
 * metrics (and `eval`) cover, every example of it; without `--test`, `--test-size` items of the
 * training data are held out (apps with `heldOut`).
 */
export function addHeldOutOptions(command: Command, wording: HeldOutWording): Command {
  const { argument, format, heldOut } = wording;
  command
    .option(
      `--valid ${argument}`,
      `validation ${format}, evaluated every --eval-every steps (default: ${wording.validDefault})`,
    )
    .option(`--test ${argument}`, `test ${format} (default: ${wording.testDefault})`);
  if (!heldOut) return command;
  return command.option(
    '--test-size <n>',
    `${heldOut.unit} held out for testing when there is no --test`,
    parseInteger('--test-size', 1),
    heldOut.testSize,
  );
}

/**
 * Where a run's data comes from, as textgen's and vision's `config.json` record it: the `--data`,
 * `--valid` and `--test` paths (null: not given) and the corpus name (`default`: generated data).
 */
export function dataPathsOf(flags: Pick<HeldOutFlags, 'valid' | 'test'> & { data?: string }) {
  return {
    dataPath: flags.data ?? null,
    validPath: flags.valid ?? null,
    testPath: flags.test ?? null,
    corpus: flags.data ?? 'default',
  };
}

/**
 * `--valid` and `--test` hold data of the kind the training data has: without it (the app's
 * generated default task) either is a {@link UsageError} asking for `training` too, e.g.
 * `'--data'`, `'the training file'`.
 */
export function requireTrainingData(
  flags: Pick<HeldOutFlags, 'valid' | 'test'>,
  given: boolean,
  training: string,
  what: string,
): void {
  for (const flag of ['valid', 'test'] as const)
    if (flags[flag] !== undefined && !given)
      throw new UsageError(`--${flag}: give ${training} too (${what})`);
}

/** The split the evaluations during training are labelled with in metrics.jsonl and the log. */
export const evalSplitOf = (valid: unknown): 'val' | 'test' =>
  valid === null || valid === undefined ? 'test' : 'val';

/**
 * Splits `items` into training and test after a seeded shuffle (data files are often sorted by
 * class, and a tail of one class would make a useless test split): the last `testSize` test.
 * Too few items is a {@link DataFileError} on `source` naming `unit` and `--test-size`.
 */
export function holdOut<T>(
  items: readonly T[],
  {
    testSize,
    seed,
    source,
    unit,
  }: { testSize: number; seed: number; source: string; unit: string },
): { train: T[]; test: T[] } {
  if (items.length <= testSize) {
    throw new DataFileError(
      source,
      `${items.length} ${unit}: need more than --test-size ${testSize} to train and test`,
    );
  }
  const rng = createRng(seed);
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const cut = shuffled.length - testSize;
  return { train: shuffled.slice(0, cut), test: shuffled.slice(cut) };
}
