import { Command } from 'commander';
import {
  addCommonOptions,
  addForceOption,
  type CommonOptions,
  parseInteger,
} from './common-options.js';
import { runCli } from './run-cli.js';
import { RunDir } from './run-dir.js';
import type { TrainSettings } from './training-run.js';

/**
 * An app's commander program: its `name` (the binary, e.g. `tformer-classify`), the `description`
 * `--help` opens with, and the `examples` it ends with; a usage error prints the help after it.
 *
 * @example
 * const program = appProgram('tformer-demo', 'Train a demo model.', '\nExamples:\n  tformer-demo');
 */
export function appProgram(name: string, description: string, examples: string): Command {
  return new Command(name)
    .description(description)
    .showHelpAfterError()
    .addHelpText('after', examples);
}

/**
 * Adds `train`, the default command, with the common options and `--force`; `train` gets the run
 * directory of `--out` and every flag. Returns the command, for the app's own options.
 */
export function addTrainCommand<F extends CommonOptions>(
  program: Command,
  defaultOut: string,
  description: string,
  train: (runDir: RunDir, flags: F) => Promise<void>,
): Command {
  return addForceOption(
    addCommonOptions(
      program.command('train', { isDefault: true }).description(description),
      defaultOut,
    ),
  ).action((flags: F) => train(new RunDir(flags.out), flags));
}

/**
 * Adds `eval` with the common options; `evaluate` gets the run directory of `--out` and every
 * flag. Returns the command, for the app's own options.
 */
export function addEvalCommand<F extends CommonOptions>(
  program: Command,
  defaultOut: string,
  description: string,
  evaluate: (runDir: RunDir, flags: F) => Promise<void>,
): Command {
  return addCommonOptions(program.command('eval').description(description), defaultOut).action(
    (flags: F) => evaluate(new RunDir(flags.out), flags),
  );
}

/** The flags {@link addStepOptions} adds. */
export interface StepFlags {
  steps: number;
  batchSize: number;
}

/**
 * Adds `--steps` and `--batch-size` with their defaults; `unit` says what a batch holds
 * (`--batch-size`'s help reads "`unit` per step").
 */
export function addStepOptions(
  command: Command,
  defaults: { steps: number; batchSize: number; unit: string },
): Command {
  return command
    .option('--steps <n>', 'optimizer steps', parseInteger('--steps', 1), defaults.steps)
    .option(
      '--batch-size <n>',
      `${defaults.unit} per step`,
      parseInteger('--batch-size', 1),
      defaults.batchSize,
    );
}

/**
 * A run's {@link TrainSettings} from its `train` flags: warmup over a tenth of the steps (at most
 * 20), evaluations at most every `steps`; `fixed` gives what no flag sets.
 */
export function trainSettingsOf(
  flags: StepFlags & { lr: number; evalEvery: number; seed: number },
  fixed: Pick<TrainSettings, 'weightDecay' | 'clipNorm'>,
): TrainSettings {
  return {
    steps: flags.steps,
    batchSize: flags.batchSize,
    learningRate: flags.lr,
    warmupSteps: Math.min(20, Math.floor(flags.steps / 10)),
    weightDecay: fixed.weightDecay,
    clipNorm: fixed.clipNorm,
    evalEvery: Math.min(flags.evalEvery, flags.steps),
    seed: flags.seed,
  };
}

/** Parses the command line and runs the chosen command under {@link runCli}'s error handling. */
export async function runProgram(program: Command): Promise<void> {
  await runCli(async () => {
    await program.parseAsync();
  });
}
