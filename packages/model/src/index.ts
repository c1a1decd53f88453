export {
  DECODER_LM_PRESETS,
  type DecoderLMConfig,
  decoderLMParameterCount,
  type ResolvedDecoderLMConfig,
  resolveDecoderLMConfig,
} from './decoder-lm-config.js';
export { ModelConfigError } from './errors.js';
