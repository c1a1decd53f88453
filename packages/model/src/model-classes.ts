import { DecoderLM } from './decoder-lm.js';
import type { DecoderLMConfig } from './decoder-lm-config.js';
import { EncoderClassifier, type EncoderClassifierConfig } from './encoder-classifier.js';
import { EncoderDecoder } from './encoder-decoder.js';
import type { EncoderDecoderConfig } from './encoder-decoder-config.js';
import { VisionTransformer, type VisionTransformerConfig } from './vision-transformer.js';

/** The models `saveModel`/`loadModel` know, by the class name stored in config.json. */
export const MODEL_CLASSES = {
  DecoderLM: (config: unknown) => DecoderLM.fromConfig(config as DecoderLMConfig),
  EncoderDecoder: (config: unknown) => EncoderDecoder.fromConfig(config as EncoderDecoderConfig),
  EncoderClassifier: (config: unknown) =>
    EncoderClassifier.fromConfig(config as EncoderClassifierConfig),
  VisionTransformer: (config: unknown) =>
    VisionTransformer.fromConfig(config as VisionTransformerConfig),
} as const;

export type SavableModel = DecoderLM | EncoderDecoder | EncoderClassifier | VisionTransformer;

export function savableClassName(model: SavableModel): keyof typeof MODEL_CLASSES {
  if (model instanceof DecoderLM) return 'DecoderLM';
  if (model instanceof EncoderDecoder) return 'EncoderDecoder';
  if (model instanceof EncoderClassifier) return 'EncoderClassifier';
  if (model instanceof VisionTransformer) return 'VisionTransformer';
  throw new TypeError('saveModel: not a model class that can be saved');
}
