import { type Command, Option } from 'commander';
import { addBackendOptions, addCommonOptions, type CommonOptions } from './common-options.js';

/** What an app's `export` and `import` (Hugging Face folders) say and do: {@link addHfCommands}. */
export interface HfCommands<E, I extends CommonOptions> {
  /** `export`'s help line. */
  exportDescription: string;
  /** The flag naming the run to export: `--out` (textgen's is `--run`). */
  runFlag: '--out' | '--run';
  /** `--format`'s help and choices; the first is the default. */
  formats: { description: string; choices: readonly string[] };
  /** `export`'s options after `--format` (e.g. textgen's ONNX ones). */
  exportOptions?: (command: Command) => Command;
  export: (flags: E) => Promise<void>;
  /** `import`'s help line and what its `<folder>` must hold. */
  importDescription: string;
  folderDescription: string;
  /** `import --data`: the data `eval` of the imported run should read, with its help. */
  importData?: { flag: string; description: string };
  import: (folder: string, flags: I) => Promise<void>;
}

/**
 * Registers `export --format hf --to <dir>` (a run's saved model as a Hugging Face folder) and
 * `import <folder>` (such a folder as a run directory, by default `<defaultRun>-imported`) on an
 * app's program, with the same flags in every app.
 *
 * @example
 * addHfCommands(program, 'runs/vision', {
 *   exportDescription: "a run's saved model as a Hugging Face folder",
 *   runFlag: '--out',
 *   formats: { description: 'output format', choices: ['hf'] },
 *   export: exportCommand,
 *   importDescription: 'a Hugging Face folder as a run directory',
 *   folderDescription: 'Hugging Face model folder with config.json, model.safetensors',
 *   import: importCommand,
 * });
 */
export function addHfCommands<E, I extends CommonOptions>(
  program: Command,
  defaultRun: string,
  commands: HfCommands<E, I>,
): void {
  const { formats, exportOptions = (command) => command, importData } = commands;
  const exportCommand = addBackendOptions(
    program.command('export').description(commands.exportDescription),
  )
    .option(`${commands.runFlag} <dir>`, 'run directory made by train', defaultRun)
    .requiredOption('--to <dir>', 'the folder to write')
    .addOption(
      new Option('--format <format>', formats.description)
        .choices(formats.choices)
        .default(formats.choices[0]),
    );
  exportOptions(exportCommand).action((flags: E) => commands.export(flags));

  const importCommand = program
    .command('import')
    .description(commands.importDescription)
    .argument('<folder>', commands.folderDescription);
  if (importData) importCommand.option(importData.flag, importData.description);
  addCommonOptions(importCommand, `${defaultRun}-imported`).action((folder: string, flags: I) =>
    commands.import(folder, flags),
  );
}
