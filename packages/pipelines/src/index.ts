// @tformer/pipelines — the public API (exports below are sorted by module). Node's file reading
// (`fromRunDir`, `pipeline(task, dir)`) is in `@tformer/pipelines/node`.
//
// | group    | names |
// | -------- | ----- |
// | tasks    | TextGenerator (generate, stream), Translator (translate), TextClassifier,
// |          | ImageClassifier (classify); each `fromFiles({ config, weights, … })` |
// | one call | pipeline(task, files), PipelineTask |
// | pieces   | TextStreamer (token ids → text pieces), Classification, the …Files and …Options types |
// | errors   | PipelineFileError, PipelineArgumentError |

export type { Classification, ClassifyOptions } from './classifications.js';
export { PipelineArgumentError, PipelineFileError } from './errors.js';
export type { BytesSource, JsonSource, ModelFiles, TokenizerSource } from './files.js';
export {
  ImageClassifier,
  type ImageClassifierFiles,
  type ImagePixels,
} from './image-classifier.js';
export { type PipelineTask, type PipelineTasks, pipeline } from './pipeline.js';
export { TextClassifier, type TextClassifierFiles } from './text-classifier.js';
export {
  type TextGenerationOptions,
  TextGenerator,
  type TextGeneratorFiles,
} from './text-generator.js';
export { TextStreamer } from './text-streamer.js';
export { type TranslationOptions, Translator, type TranslatorFiles } from './translator.js';
