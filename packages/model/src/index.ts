// @tformer/model — the public API (exports below are sorted by module). Generation from token
// ids is in `@tformer/model/generate`; files on disk are in `@tformer/model/node`:
//
// | group          | names |
// | -------------- | ----- |
// | models         | DecoderLM, EncoderDecoder, EncoderClassifier, VisionTransformer; each with its
// |                | …Config and …_PRESETS (a config is resolved and checked once, by the
// |                | constructor); decoderLMParameterCount (closed form, nothing built) |
// | blocks, stacks | TransformerBlock (cross-attention optional), Encoder, Decoder, DecoderCache; BlockConfig |
// | generation     | in `@tformer/model/generate`: generate, generateStream, generateSeq2Seq, beam search, … |
// | files          | encodeModel, decodeModel (bytes, anywhere; saveModel, loadModel are in
// |                | `@tformer/model/node`), upgradeModelConfig, CONFIG_FILE, WEIGHTS_FILE, SavableModel |
// | Hugging Face   | encodeHuggingFace, decodeHuggingFace, HfFolder, HfFormat, HfDecoded, … |
// | compression    | pruneDecoderLM, ffnUnitImportance, keepTopScores (structured pruning);
// |                | encodeQuantizedModel, quantizationOf, … (int8/int4 weights;
// |                | saveQuantizedModel is in `@tformer/model/node`) |
// | hook points    | Hooks, HookFn, LocalHooks |
// | errors         | ModelConfigError, ModelArgumentError, SavedModelError |
//
// Internal: config resolution (resolve…Config, Resolved…Config: the constructors call them;
// `model.config` is the resolved config), block-config helpers, the per-sequence beam state, the
// block stack, the GPT-2 name mapping, sampling internals, the parameter count of any saved
// config (the loaders' allocation bound), the Hugging Face folder's file names (docs/interop.md),
// the quantizer of one matrix and the quantized file format's key and suffix constants
// (docs/efficiency.md spells them out). Types of nested fields are reachable by indexed access:
// `SavedModelError['mismatches'][number]`, `SaveOptions['naming']`, `BlockConfig['activation']`,
// `HfExportOptions['specialTokenIds']`, `DecoderCache['layers'][number]`,
// `Awaited<ReturnType<typeof encodeModel>>['config']`.

export type { BlockConfig } from './block-config.js';
export { Decoder, type DecoderCall } from './decoder.js';
export { DecoderCache } from './decoder-cache.js';
export { DecoderLM, type DecoderLMCall } from './decoder-lm.js';
export {
  DECODER_LM_PRESETS,
  type DecoderLMConfig,
  decoderLMParameterCount,
} from './decoder-lm-config.js';
export { Encoder, type EncoderConfig } from './encoder.js';
export {
  ENCODER_CLASSIFIER_PRESETS,
  EncoderClassifier,
  type EncoderClassifierConfig,
} from './encoder-classifier.js';
export { EncoderDecoder } from './encoder-decoder.js';
export {
  ENCODER_DECODER_PRESETS,
  type EncoderDecoderConfig,
} from './encoder-decoder-config.js';
export { ModelArgumentError, ModelConfigError, SavedModelError } from './errors.js';
export {
  type DecoderLMFormat,
  decodeHuggingFace,
  encodeHuggingFace,
  type HfDecoded,
  type HfExportOptions,
  type HfFolder,
  type HfFormat,
} from './hf/hf-folder.js';
export type { HookFn, Hooks, LocalHooks } from './hooks.js';
export type { SavableModel } from './model-classes.js';
export {
  ffnUnitImportance,
  keepTopScores,
  type PrunePlan,
  pruneDecoderLM,
} from './prune/prune-decoder-lm.js';
export { encodeQuantizedModel, quantizationOf } from './quantize/quantize-model.js';
export { INT4_GROUP_SIZES, type QuantizationScheme } from './quantize/quantize-weights.js';
export type {
  QuantizationMetadata,
  QuantizeOptions,
} from './quantize/quantized-safetensors.js';
export {
  CONFIG_FILE,
  decodeModel,
  encodeModel,
  type SaveOptions,
  upgradeModelConfig,
  WEIGHTS_FILE,
} from './save-load.js';
export {
  type BlockInit,
  TransformerBlock,
  type TransformerBlockCall,
} from './transformer-block.js';
export {
  VISION_TRANSFORMER_PRESETS,
  VisionTransformer,
  type VisionTransformerConfig,
} from './vision-transformer.js';
