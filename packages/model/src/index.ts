export {
  type BlockConfig,
  type FeedForwardActivation,
  type ResolvedBlockConfig,
  resolveBlockConfig,
} from './block-config.js';
export { DecoderBlock, type DecoderBlockCall } from './decoder-block.js';
export { DecoderLM, type DecoderLMCall } from './decoder-lm.js';
export {
  DECODER_LM_PRESETS,
  type DecoderLMConfig,
  decoderLMBlockConfig,
  decoderLMParameterCount,
  type ResolvedDecoderLMConfig,
  resolveDecoderLMConfig,
} from './decoder-lm-config.js';
export { Embedding, type EmbeddingOptions, embeddingLookup } from './embedding.js';
export {
  CheckpointError,
  type CheckpointMismatch,
  ModelArgumentError,
  ModelConfigError,
} from './errors.js';
export {
  type GenerateOptions,
  type GenerationStep,
  generate,
  generateStream,
} from './generate.js';
export { KVCache, type LayerCache } from './kv-cache.js';
export { applyRotary } from './rotary.js';
export {
  argmax,
  checkSamplingOptions,
  type SamplingOptions,
  samplingDistribution,
} from './sampling.js';
export {
  TransformerAttention,
  type TransformerAttentionCall,
  type TransformerAttentionConfig,
  type TransformerAttentionOptions,
} from './transformer-attention.js';
export {
  type BlockInit,
  TransformerBlock,
  type TransformerBlockCall,
} from './transformer-block.js';
