import { type LoadedHuggingFace, loadHuggingFace } from '@tformer/model/node';
import { type Command, Option } from 'commander';
import {
  addBackendOptions,
  addCommonOptions,
  type CommonOptions,
  startBackend,
} from './common-options.js';
import { UsageError } from './run-cli.js';

/** A loaded Hugging Face folder of one of the formats `F`. */
export type HfFolderOf<F extends LoadedHuggingFace['format']> = Extract<
  LoadedHuggingFace,
  { format: F }
>;

/** What an app's `export` and `import` (Hugging Face folders) say and do: {@link addHfCommands}. */
export interface HfCommands<
  E,
  I extends CommonOptions,
  F extends LoadedHuggingFace['format'] = LoadedHuggingFace['format'],
> {
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
  /**
   * The folder formats `import` takes, and what they make to the app (`kind`: "a translation
   * model"): a folder of another format is a usage error naming both.
   */
  importFormats: { app: string; kind: string; choices: readonly F[] };
  /** Makes the run directory of a `loaded` folder (whose model {@link addHfCommands} disposes). */
  import: (folder: string, flags: I, loaded: HfFolderOf<F>) => Promise<void>;
}

/**
 * `import <folder>`: starts the backend, loads the folder, refuses a format the app does not
 * take, lets the app make its run of it, and disposes the loaded model either way.
 */
async function importFolder<I extends CommonOptions, F extends LoadedHuggingFace['format']>(
  folder: string,
  flags: I,
  { app, kind, choices }: HfCommands<unknown, I, F>['importFormats'],
  makeRun: HfCommands<unknown, I, F>['import'],
): Promise<void> {
  await startBackend(flags);
  const loaded = await loadHuggingFace(folder);
  const taken = (l: LoadedHuggingFace): l is HfFolderOf<F> =>
    (choices as readonly string[]).includes(l.format);
  try {
    if (!taken(loaded)) {
      throw new UsageError(
        `${folder}: a ${loaded.format} folder is not ${kind} (${app} imports ${choices.join(' and ')})`,
      );
    }
    await makeRun(folder, flags, loaded);
  } finally {
    loaded.model.dispose();
  }
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
 *   importFormats: { app: 'vision', kind: 'an image classifier', choices: ['vit'] },
 *   import: importRun,
 * });
 */
export function addHfCommands<E, I extends CommonOptions, F extends LoadedHuggingFace['format']>(
  program: Command,
  defaultRun: string,
  commands: HfCommands<E, I, F>,
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
    importFolder(folder, flags, commands.importFormats, commands.import),
  );
}
