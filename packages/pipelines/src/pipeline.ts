import { PipelineArgumentError } from './errors.js';
import { ImageClassifier, type ImageClassifierFiles } from './image-classifier.js';
import { TextClassifier, type TextClassifierFiles } from './text-classifier.js';
import { TextGenerator, type TextGeneratorFiles } from './text-generator.js';
import { Translator, type TranslatorFiles } from './translator.js';

/** The tasks of {@link pipeline}, with their classes and the files each one is built from. */
export interface PipelineTasks {
  'text-generation': { pipeline: TextGenerator; files: TextGeneratorFiles };
  translation: { pipeline: Translator; files: TranslatorFiles };
  'text-classification': { pipeline: TextClassifier; files: TextClassifierFiles };
  'image-classification': { pipeline: ImageClassifier; files: ImageClassifierFiles };
}
export type PipelineTask = keyof PipelineTasks;

const FROM_FILES: {
  [T in PipelineTask]: (files: PipelineTasks[T]['files']) => PipelineTasks[T]['pipeline'];
} = {
  'text-generation': (files) => TextGenerator.fromFiles(files),
  translation: (files) => Translator.fromFiles(files),
  'text-classification': (files) => TextClassifier.fromFiles(files),
  'image-classification': (files) => ImageClassifier.fromFiles(files),
};

/**
 * The pipeline of `task` built from its files (as Transformers.js' `pipeline(task, model)`):
 * `'text-generation'` → {@link TextGenerator}, `'translation'` → {@link Translator},
 * `'text-classification'` → {@link TextClassifier}, `'image-classification'` →
 * {@link ImageClassifier}. `@tformer/pipelines/node`'s `pipeline` also takes a run directory.
 *
 * @example
 * ```js
 * const generator = await pipeline('text-generation', { config, weights, tokenizer });
 * ```
 */
export async function pipeline<T extends PipelineTask>(
  task: T,
  files: PipelineTasks[T]['files'],
): Promise<PipelineTasks[T]['pipeline']> {
  const build = checkTask(task);
  return build(files);
}

export function checkTask<T extends PipelineTask>(
  task: T,
): (files: PipelineTasks[T]['files']) => PipelineTasks[T]['pipeline'] {
  if (!Object.hasOwn(FROM_FILES, task)) {
    throw new PipelineArgumentError('task', `one of ${Object.keys(FROM_FILES).join(', ')}`, task);
  }
  return FROM_FILES[task];
}
