// @tformer/pipelines — text in, text out over saved tformer models (Node and browsers).
// Node's file reading (`fromRunDir`, `pipeline(task, dir)`) is in `@tformer/pipelines/node`.

export type { Classification, ClassifyOptions } from './classifications.js';
export { PipelineArgumentError, PipelineFileError } from './errors.js';
// Files and errors.
export type { BytesSource, JsonSource, ModelFiles, TokenizerSource } from './files.js';
export {
  ImageClassifier,
  type ImageClassifierFiles,
  type ImagePixels,
} from './image-classifier.js';
// One call for any task.
export { type PipelineTask, type PipelineTasks, pipeline } from './pipeline.js';
export { TextClassifier, type TextClassifierFiles } from './text-classifier.js';
// Tasks, each built from a saved model's files (bytes, text or parsed JSON).
export {
  type TextGenerationOptions,
  TextGenerator,
  type TextGeneratorFiles,
} from './text-generator.js';
// Incremental decoding of token ids into text pieces (what `TextGenerator.stream` uses).
export { TextStreamer } from './text-streamer.js';
export { type TranslationOptions, Translator, type TranslatorFiles } from './translator.js';
