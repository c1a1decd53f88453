import { Command, CommanderError } from 'commander';
import {
  addCommonOptions,
  addForceOption,
  addResumeCommand,
  type CommonOptions,
  parseInteger,
  parseNumber,
} from './common-options.js';
import { addHeldOutOptions, type HeldOutFlags, type HeldOutWording } from './held-out.js';
import { EXIT_CODES, runCli } from './run-cli.js';
import { RunDir } from './run-dir.js';
import type { TrainSettings } from './training-run.js';

/** What an app's program says and does: {@link appProgram}. */
export interface AppCommands<T extends CommonOptions, C extends { train: { steps: number } }, E> {
  /** The binary, e.g. `tformer-classify`. */
  name: string;
  /** What `--help` opens with, and the examples it ends with. */
  description: string;
  examples: string;
  /** The run directory `--out` defaults to. */
  defaultOut: string;
  train: {
    description: string;
    /** The app's options between `--force` and the held-out sets (e.g. `--data`). */
    options?: (command: Command) => Command;
    heldOut: HeldOutWording;
    run: (runDir: RunDir, flags: T) => Promise<void>;
  };
  /** `resume` goes on from the run's config (see {@link addResumeCommand}). */
  resume: (config: C, runDir: RunDir, steps: number | undefined) => Promise<void>;
  eval: {
    description: string;
    /** The app's options after the common ones. */
    options?: (command: Command) => Command;
    run: (runDir: RunDir, flags: E & CommonOptions) => Promise<void>;
  };
}

/**
 * An app's commander program with the commands every app has: `train` (the default; the common
 * options, `--force`, the app's `train.options`, the held-out sets), `resume` and `eval`, the
 * action of each given the run directory of `--out`. A usage error prints the help after it.
 * Returns the program, for the app's other commands, and `train`, for its other options.
 *
 * @example
 * const { program, train } = appProgram({ name: 'tformer-demo', ...demo });
 * addStepOptions(train, { steps: 300, batchSize: 32, unit: 'examples' });
 * await runProgram(program);
 */
export function appProgram<T extends CommonOptions, C extends { train: { steps: number } }, E>(
  app: AppCommands<T, C, E>,
): { program: Command; train: Command } {
  const { defaultOut } = app;
  const same = (command: Command) => command;
  const program = new Command(app.name)
    .description(app.description)
    .showHelpAfterError()
    .addHelpText('after', app.examples);
  const trainOptions = app.train.options ?? same;
  const train = addHeldOutOptions(
    trainOptions(
      addForceOption(
        addCommonOptions(
          program.command('train', { isDefault: true }).description(app.train.description),
          defaultOut,
        ),
      ),
    ),
    app.train.heldOut,
  ).action((flags: T) => app.train.run(new RunDir(flags.out), flags));
  addResumeCommand(program, defaultOut, app.resume);
  const evalOptions = app.eval.options ?? same;
  evalOptions(
    addCommonOptions(program.command('eval').description(app.eval.description), defaultOut),
  ).action((flags: E & CommonOptions) => app.eval.run(new RunDir(flags.out), flags));
  return { program, train };
}

/**
 * Adds a command that works with a run's saved model (`predict`, `translate`, `generate`): the
 * common options, and `run` given the run directory of `--out`, the flags and the `argument`'s
 * values (none without one). Returns the command, for the app's own options.
 */
export function addSavedRunCommand<F>(
  program: Command,
  defaultOut: string,
  command: { name: string; description: string; argument?: [syntax: string, help: string] },
  run: (runDir: RunDir, flags: F & CommonOptions, args: string[]) => Promise<void>,
): Command {
  const added = program.command(command.name);
  if (command.argument) added.argument(...command.argument);
  return addCommonOptions(added.description(command.description), defaultOut).action(
    (...values: unknown[]) => {
      const flags = values[command.argument ? 1 : 0] as F & CommonOptions;
      const args = command.argument ? (values[0] as string[]) : [];
      return run(new RunDir(flags.out), flags, args);
    },
  );
}

/** The flags of every app's `train`: the common ones, `--force`, the held-out sets and steps. */
export interface AppTrainFlags extends CommonOptions, HeldOutFlags, StepFlags {
  force?: boolean;
  lr: number;
  evalEvery: number;
}

/** The flags {@link addStepOptions} adds. */
export interface StepFlags {
  steps: number;
  batchSize: number;
}

/**
 * Adds `--steps` and `--batch-size` with their defaults; `unit` says what a batch holds
 * (`--batch-size`'s help reads "`unit` per step"). Apps that list them next take `--lr` and
 * `--eval-every` here too, with their default and help.
 */
export function addStepOptions(
  command: Command,
  defaults: {
    steps: number;
    batchSize: number;
    unit: string;
    lr?: { rate: number; help: string };
    evalEvery?: { every: number; help: string };
  },
): Command {
  command
    .option('--steps <n>', 'optimizer steps', parseInteger('--steps', 1), defaults.steps)
    .option(
      '--batch-size <n>',
      `${defaults.unit} per step`,
      parseInteger('--batch-size', 1),
      defaults.batchSize,
    );
  const { lr, evalEvery } = defaults;
  if (lr) command.option('--lr <rate>', lr.help, parseNumber('--lr', 0, 1), lr.rate);
  if (evalEvery) {
    command.option(
      '--eval-every <n>',
      evalEvery.help,
      parseInteger('--eval-every', 1),
      evalEvery.every,
    );
  }
  return command;
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

/**
 * Parses the command line (`argv`, default `process.argv`) and runs the chosen command under
 * {@link runCli}'s error handling. Commander's own parse errors (an unknown option, a missing
 * argument or required option), which it has printed already, exit 2 like every other input
 * error (docs/apps.md), not with commander's 1, which the apps keep for bugs.
 */
export async function runProgram(program: Command, argv?: readonly string[]): Promise<void> {
  const throwInstead = (command: Command) => {
    command.exitOverride();
    for (const sub of command.commands) throwInstead(sub);
  };
  throwInstead(program);
  await runCli(async () => {
    try {
      await program.parseAsync(argv);
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      // exitCode 0: --help or a help command, printed.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.input;
    }
  });
}
