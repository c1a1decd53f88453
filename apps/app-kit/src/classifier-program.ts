import type { Command } from 'commander';
import {
  type AppTrainFlags,
  addSavedRunCommand,
  addStepOptions,
  appProgram,
} from './app-program.js';
import type { CommonOptions } from './common-options.js';
import type { RunDir } from './run-dir.js';

/**
 * What a classifier app (classify: texts, vision: images) says and does; the two share their
 * commands, flags and defaults, and differ in their data and model: {@link classifierProgram}.
 */
export interface ClassifierCommands<
  T extends AppTrainFlags,
  C extends { train: { steps: number } },
> {
  name: string;
  description: string;
  examples: string;
  defaultOut: string;
  /** What an example is (`examples`, `images`): help texts and `--test-size` say it. */
  unit: string;
  /** `--data`, `--valid` and `--test`: their argument (`<file>`), `--data`'s help, the format. */
  data: { argument: string; help: string; format: string };
  train: {
    description: string;
    /** The model's options, between the held-out sets and `--steps`. */
    modelOptions: (command: Command) => Command;
    /** `--lr`'s default. */
    learningRate: number;
    run: (runDir: RunDir, flags: T) => Promise<void>;
  };
  resume: (config: C, runDir: RunDir, steps: number | undefined) => Promise<void>;
  eval: (runDir: RunDir, flags: CommonOptions) => Promise<void>;
  predict: {
    description: string;
    argument: [syntax: string, help: string];
    run: (runDir: RunDir, flags: CommonOptions, inputs: string[]) => Promise<void>;
  };
}

/**
 * A classifier app's program: `train` (300 steps of 32, evaluating every 50; 400 held-out
 * `unit`s without `--test`), `resume`, `eval` (test metrics) and `predict`, as the classifier
 * apps share them. Returns the program, for the app's other commands.
 *
 * @example
 * const program = classifierProgram({ name: 'tformer-demo', unit: 'examples', ...demo });
 * await runProgram(program);
 */
export function classifierProgram<T extends AppTrainFlags, C extends { train: { steps: number } }>(
  app: ClassifierCommands<T, C>,
): Command {
  const { unit, data, defaultOut } = app;
  const { program, train } = appProgram<T, C, unknown>({
    ...app,
    train: {
      description: app.train.description,
      options: (command) => command.option(`--data ${data.argument}`, data.help),
      heldOut: {
        argument: data.argument,
        format: data.format,
        validDefault: `the test ${unit}`,
        testDefault: `--test-size ${unit} of --data, shuffled`,
        heldOut: { unit, testSize: 400 },
      },
      run: app.train.run,
    },
    eval: { description: "test metrics of a run's saved model", run: app.eval },
  });
  addStepOptions(app.train.modelOptions(train), {
    steps: 300,
    batchSize: 32,
    unit,
    lr: { rate: app.train.learningRate, help: 'peak learning rate (warmup, then cosine)' },
    evalEvery: { every: 50, help: 'test loss, accuracy and checkpoint every n steps' },
  });
  addSavedRunCommand(program, defaultOut, { name: 'predict', ...app.predict }, app.predict.run);
  return program;
}
