import * as tf from '@tensorflow/tfjs-core';
import { type BackendSelection, formatBackendInfo, selectBackendFromArgs } from '@tformer/backend';
import { type Command, Option } from 'commander';
import { UsageError } from './run-cli.js';
import { RunDir } from './run-dir.js';
import { resumedConfig } from './training-run.js';

/** The options every app shares. */
export interface CommonOptions {
  backend?: string;
  wasmThreads?: string;
  seed: number;
  out: string;
  /** Print every backend detail and why each other backend was skipped. */
  verbose?: boolean;
}

/**
 * Adds `--backend`, `--wasm-threads` and `--verbose`, what {@link startBackend} reads, to a
 * command. The backend flags fall back to `TFORMER_BACKEND` / `TFORMER_WASM_THREADS`, then `auto`
 * (see `@tformer/backend`).
 */
export function addBackendOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--backend <name>',
        'auto | cpu | wasm | node | node-gpu | webgpu (default: $TFORMER_BACKEND or auto)',
      ),
    )
    .addOption(
      new Option(
        '--wasm-threads <n>',
        'threads for the wasm backend (default: $TFORMER_WASM_THREADS or 1)',
      ),
    )
    .option(
      '--verbose',
      'on stderr, the backend details and why each other backend was skipped (default: one line)',
    );
}

/** Adds the backend options ({@link addBackendOptions}), `--seed` and `--out` to a command. */
export function addCommonOptions(command: Command, defaultOut: string): Command {
  return addBackendOptions(command)
    .option(
      '--seed <n>',
      'random seed: same seed, same run on the same backend',
      parseInteger('--seed', 0),
      1337,
    )
    .option(
      '--out <dir>',
      'run directory (config, checkpoints, metrics.jsonl, loss.svg)',
      defaultOut,
    );
}

/**
 * The backend flags of {@link CommonOptions}, all that starting a backend needs, and how
 * tfjs-node's libtensorflow loads (see {@link forDecoding}).
 */
export type BackendOptions = Pick<CommonOptions, 'backend' | 'wasmThreads' | 'verbose'> & {
  onednn?: boolean;
  intraOpThreads?: number;
};

/**
 * The backend options of a command that only decodes (`generate`, `translate`, a translator's
 * `eval`): on the node backend, libtensorflow without oneDNN and with one intra-op thread, unless
 * `TF_ENABLE_ONEDNN_OPTS` / `TF_NUM_INTRAOP_THREADS` in the environment say otherwise. A decoding
 * step is many tiny products, for which oneDNN's per-call cost and the thread pool's hand-off
 * cost more than they gain: on 2 shared cores one token took about a third of the time for
 * nanoGPT's `baby` model, and one thread was no slower up to d 768 × 6 layers at batch 8
 * (docs/tfjs-facts.md). Training keeps libtensorflow's defaults: its large products gain from
 * both. libtensorflow reads these once, as it loads, so a process that already loaded it (a
 * program that trained first) keeps its settings.
 */
export function forDecoding(
  options: BackendOptions,
  env: Record<string, string | undefined> = process.env,
): BackendOptions {
  if (tf.findBackendFactory('tensorflow') !== null) return options;
  return {
    ...options,
    ...(env.TF_ENABLE_ONEDNN_OPTS === undefined ? { onednn: false } : {}),
    ...(env.TF_NUM_INTRAOP_THREADS === undefined ? { intraOpThreads: 1 } : {}),
  };
}

/**
 * Starts the backend the options ask for and says which one runs, on stderr so that stdout holds
 * only the command's output (`translate < in > out` gives one line per input): one line by
 * default, naming the backends `auto` skipped; with `--verbose`, the backend's details and why
 * each other backend was skipped, with the fix.
 */
export async function startBackend(options: BackendOptions): Promise<BackendSelection> {
  const argv = [
    ...(options.backend ? ['--backend', options.backend] : []),
    ...(options.wasmThreads ? ['--wasm-threads', options.wasmThreads] : []),
  ];
  const { onednn, intraOpThreads } = options;
  const { selection } = await selectBackendFromArgs(argv, process.env, {
    ...(onednn === undefined ? {} : { onednn }),
    ...(intraOpThreads === undefined ? {} : { intraOpThreads }),
  });
  process.stderr.write(backendReport(selection, options.verbose ?? false));
  return selection;
}

/** What {@link startBackend} prints: one line, or every detail with `verbose`. */
export function backendReport(selection: BackendSelection, verbose: boolean): string {
  if (verbose) {
    const skipped = selection.tried.map((t) => `  skipped ${t.name}: ${t.error}\n`);
    return `${formatBackendInfo(selection.info)}\n  chosen: ${selection.reason}\n${skipped.join('')}`;
  }
  const hint = selection.tried.length > 0 ? ' (--verbose says why)' : '';
  return `backend ${selection.name}: ${shortReason(selection)}${hint}\n`;
}

/** The selection's reason without the per-backend explanations `auto` appends in parentheses. */
function shortReason(selection: BackendSelection): string {
  if (selection.tried.length === 0) return selection.reason;
  const names = selection.tried.map((t) => t.name).join(', ');
  const head = selection.reason.split('; skipped ')[0]!;
  return `${head}; skipped ${names}`;
}

/** A commander parser for an integer flag with a lower bound, failing with a {@link UsageError}. */
export function parseInteger(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`${flag}: expected an integer ≥ ${min}, got '${value}'`);
    return n;
  };
}

/** A commander parser for a number flag in a range, failing with a {@link UsageError}. */
export function parseNumber(
  flag: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`${flag}: expected a number in [${min}, ${max}], got '${value}'`);
    }
    return n;
  };
}

/**
 * The `resume` subcommand every app has: continue a run directory from its last checkpoint.
 * It starts the backend and reads the run's `config.json` (with `--steps`, the new total, in
 * it); `resume` trains on.
 */
export function addResumeCommand<C extends { train: { steps: number } }>(
  program: Command,
  defaultOut: string,
  resume: (config: C, runDir: RunDir, steps: number | undefined) => Promise<void>,
): void {
  addCommonOptions(
    program.command('resume').description('continue a run from its last checkpoint'),
    defaultOut,
  )
    .option(
      '--steps <n>',
      'train to this many steps in all (default: the run’s own)',
      parseInteger('--steps', 1),
    )
    .action(async (flags: CommonOptions & { steps?: number }) => {
      await startBackend(flags);
      const runDir = new RunDir(flags.out);
      await resume(await resumedConfig<C>(runDir, flags.steps), runDir, flags.steps);
    });
}

/**
 * Adds `--force` to `train`: without it, `train` refuses a run directory that already holds a
 * trained run (so a repeated command never silently replaces a model), naming `resume`, `--force`
 * and `--out`.
 */
export function addForceOption(command: Command): Command {
  return command.option(
    '--force',
    'replace the run already in --out (default: refuse, and say how to resume it)',
    false,
  );
}
