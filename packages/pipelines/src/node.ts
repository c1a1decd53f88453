// `@tformer/pipelines/node`: the same classes with `fromRunDir(dir)`, which reads the run
// directories the apps write, and `pipeline(task, dir)`. The root entry reads no files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineFileError } from './errors.js';
import type { ModelFiles } from './files.js';
import { ImageClassifier as BaseImageClassifier } from './image-classifier.js';
import { checkTask, type PipelineTask, type PipelineTasks } from './pipeline.js';
import { TextClassifier as BaseTextClassifier } from './text-classifier.js';
import { TextGenerator as BaseTextGenerator } from './text-generator.js';
import { Translator as BaseTranslator } from './translator.js';

export * from './index.js';

/**
 * The files of a run directory: the model from `model/config.json` + `model/model.safetensors`
 * (or, for a saved model directory without `model/`, `config.json` + `model.safetensors`), the
 * run's `config.json` when there is one, and the other named files (`tokenizer.json`, …).
 */
async function readRunDir(
  dir: string,
  extra: readonly string[] = [],
): Promise<ModelFiles & { runConfig?: Uint8Array; files: Record<string, Uint8Array> }> {
  const nested = await readOptional(join(dir, 'model', 'config.json'));
  const modelDir = nested ? join(dir, 'model') : dir;
  const config = nested ?? (await readRequired(join(dir, 'config.json')));
  const weights = await readRequired(join(modelDir, 'model.safetensors'));
  const runConfig = nested ? await readOptional(join(dir, 'config.json')) : undefined;
  const files: Record<string, Uint8Array> = {};
  for (const name of extra) files[name] = await readRequired(join(dir, name));
  return { config, weights, ...(runConfig ? { runConfig } : {}), files };
}

/** {@link BaseTextGenerator} with `fromRunDir`. */
export class TextGenerator extends BaseTextGenerator {
  /** The generator of a textgen run directory (`model/`, `tokenizer.json`) or a saved model with `tokenizer.json`. */
  static async fromRunDir(dir: string): Promise<TextGenerator> {
    const { files, ...model } = await readRunDir(dir, ['tokenizer.json']);
    return TextGenerator.fromFiles({ ...model, tokenizer: files['tokenizer.json']! });
  }
}

/** {@link BaseTranslator} with `fromRunDir`. */
export class Translator extends BaseTranslator {
  /** The translator of a translate run directory (`model/`, `vocab.json`, `config.json`'s `decode`). */
  static async fromRunDir(dir: string): Promise<Translator> {
    const { files, ...model } = await readRunDir(dir, ['vocab.json']);
    return Translator.fromFiles({ ...model, vocab: files['vocab.json']! });
  }
}

/** {@link BaseTextClassifier} with `fromRunDir`. */
export class TextClassifier extends BaseTextClassifier {
  /** The classifier of a classify run directory (`model/`, `tokenizer.json`, `config.json`'s `labels`). */
  static async fromRunDir(dir: string): Promise<TextClassifier> {
    const { files, ...model } = await readRunDir(dir, ['tokenizer.json']);
    return TextClassifier.fromFiles({ ...model, tokenizer: files['tokenizer.json']! });
  }
}

/** {@link BaseImageClassifier} with `fromRunDir`. */
export class ImageClassifier extends BaseImageClassifier {
  /** The classifier of a vision run directory (`model/`, `config.json`'s `classes`). */
  static async fromRunDir(dir: string): Promise<ImageClassifier> {
    const { files: _, ...model } = await readRunDir(dir);
    return ImageClassifier.fromFiles(model);
  }
}

const FROM_RUN_DIR: {
  [T in PipelineTask]: (dir: string) => Promise<PipelineTasks[T]['pipeline']>;
} = {
  'text-generation': (dir) => TextGenerator.fromRunDir(dir),
  translation: (dir) => Translator.fromRunDir(dir),
  'text-classification': (dir) => TextClassifier.fromRunDir(dir),
  'image-classification': (dir) => ImageClassifier.fromRunDir(dir),
};

/**
 * The pipeline of `task` from a run directory (a path) or from its files, as the root entry's
 * `pipeline`.
 *
 * @example
 * ```js
 * const generator = await pipeline('text-generation', 'apps/textgen/runs/textgen');
 * ```
 */
export async function pipeline<T extends PipelineTask>(
  task: T,
  source: string | PipelineTasks[T]['files'],
): Promise<PipelineTasks[T]['pipeline']> {
  const build = checkTask(task);
  return typeof source === 'string' ? FROM_RUN_DIR[task](source) : build(source);
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipelineFileError(path, `cannot be read (${(error as Error).message})`, undefined, {
      cause: error,
    });
  }
}

async function readRequired(path: string): Promise<Uint8Array> {
  const bytes = await readOptional(path);
  if (!bytes) {
    throw new PipelineFileError(
      path,
      'missing: expected a run directory written by a tformer app (config.json, model/, tokenizer or vocab files) or a saved model directory',
    );
  }
  return bytes;
}
