// @tformer/model — the public API (exports below are sorted by module):
//
// | group          | names |
// | -------------- | ----- |
// | models         | DecoderLM, EncoderDecoder, EncoderClassifier, VisionTransformer; each with its
// |                | …Config, Resolved…Config, resolve…Config (checks a config once) and …_PRESETS;
// |                | decoderLMParameterCount |
// | blocks, stacks | TransformerBlock (cross-attention optional), Encoder, Decoder, DecoderCache; BlockConfig |
// | generation     | generate, generateStream (DecoderLM), generateSeq2Seq, generateSeq2SeqStream,
// |                | greedyDecode (EncoderDecoder), beamSearch, beamSearchDecoderLM,
// |                | beamSearchEncoderDecoder, beamSearchEncoderDecoderBatch, argmax, SamplingOptions |
// | files          | encodeModel, decodeModel (bytes, anywhere; saveModel, loadModel are in
// |                | `@tformer/model/node`), upgradeModelConfig, modelParameterCount,
// |                | CONFIG_FILE, WEIGHTS_FILE, SavableModel |
// | Hugging Face   | encodeHuggingFace, decodeHuggingFace, HF_*_FILE, HfFolder, HfFormat, HfDecoded, … |
// | compression    | pruneDecoderLM, ffnUnitImportance, keepTopScores (structured pruning);
// |                | encodeQuantizedModel, quantizeMatrix, quantizationOf, … (int8/int4 weights;
// |                | saveQuantizedModel is in `@tformer/model/node`) |
// | hook points    | Hooks, HookFn, LocalHooks |
// | errors         | ModelConfigError, ModelArgumentError, SavedModelError |
//
// Internal: block-config resolution helpers, the per-sequence beam state, the block stack, the GPT-2 name mapping, sampling
// internals, the quantized file format's key and suffix constants (docs/efficiency.md spells
// them out).

export {
  type BeamSearchOptions,
  beamSearch,
  beamSearchDecoderLM,
  beamSearchEncoderDecoder,
  beamSearchEncoderDecoderBatch,
  type Hypothesis,
  type ModelBeamSearchOptions,
  type NextLogProbs,
} from './beam-search.js';
export type { BlockConfig, FeedForwardActivation, ResolvedBlockConfig } from './block-config.js';
export { Decoder, type DecoderCall } from './decoder.js';
export { DecoderCache, type LayerCache } from './decoder-cache.js';
export { DecoderLM, type DecoderLMCall } from './decoder-lm.js';
export {
  DECODER_LM_PRESETS,
  type DecoderLMConfig,
  decoderLMParameterCount,
  type ResolvedDecoderLMConfig,
  resolveDecoderLMConfig,
} from './decoder-lm-config.js';
export { Encoder, type EncoderConfig } from './encoder.js';
export {
  ENCODER_CLASSIFIER_PRESETS,
  EncoderClassifier,
  type EncoderClassifierConfig,
  type ResolvedEncoderClassifierConfig,
  resolveEncoderClassifierConfig,
} from './encoder-classifier.js';
export { EncoderDecoder } from './encoder-decoder.js';
export {
  ENCODER_DECODER_PRESETS,
  type EncoderDecoderConfig,
  type ResolvedEncoderDecoderConfig,
  resolveEncoderDecoderConfig,
} from './encoder-decoder-config.js';
export {
  type CheckpointMismatch,
  ModelArgumentError,
  ModelConfigError,
  SavedModelError,
} from './errors.js';
export {
  type GenerateOptions,
  type GenerationStep,
  generate,
  generateStream,
} from './generate.js';
export {
  type DecoderLMFormat,
  decodeHuggingFace,
  encodeHuggingFace,
  HF_CONFIG_FILE,
  HF_GENERATION_CONFIG_FILE,
  HF_TOKENIZER_CONFIG_FILE,
  HF_TOKENIZER_FILE,
  HF_WEIGHTS_FILE,
  type HfDecoded,
  type HfExportOptions,
  type HfFolder,
  type HfFormat,
  type HfSpecialTokenIds,
} from './hf/hf-folder.js';
export type { HookFn, Hooks, LocalHooks } from './hooks.js';
export type { SavableModel } from './model-classes.js';
export { modelParameterCount } from './parameter-count.js';
export {
  ffnUnitImportance,
  keepTopScores,
  type PrunePlan,
  pruneDecoderLM,
} from './prune/prune-decoder-lm.js';
export { encodeQuantizedModel, quantizationOf } from './quantize/quantize-model.js';
export {
  INT4_GROUP_SIZES,
  type QuantizationScheme,
  type QuantizedMatrix,
  quantizeMatrix,
} from './quantize/quantize-weights.js';
export type {
  QuantizationMetadata,
  QuantizedTensorInfo,
  QuantizeOptions,
} from './quantize/quantized-safetensors.js';
export { argmax, type SamplingOptions } from './sampling.js';
export {
  CONFIG_FILE,
  decodeModel,
  encodeModel,
  type Naming,
  type SavedConfig,
  type SaveOptions,
  upgradeModelConfig,
  WEIGHTS_FILE,
} from './save-load.js';
export {
  generateSeq2Seq,
  generateSeq2SeqStream,
  greedyDecode,
  type Seq2SeqGenerateOptions,
  type Seq2SeqGreedyOptions,
} from './seq2seq-generate.js';
export {
  type BlockInit,
  TransformerBlock,
  type TransformerBlockCall,
} from './transformer-block.js';
export {
  type ResolvedVisionTransformerConfig,
  resolveVisionTransformerConfig,
  VISION_TRANSFORMER_PRESETS,
  VisionTransformer,
  type VisionTransformerConfig,
} from './vision-transformer.js';
