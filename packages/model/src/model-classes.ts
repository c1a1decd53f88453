import { DecoderLM } from './decoder-lm.js';
import type { DecoderLMConfig } from './decoder-lm-config.js';

/** The models {@link saveModel}/{@link loadModel} know, by the class name stored in config.json. */
export const MODEL_CLASSES = {
  DecoderLM: (config: unknown) => DecoderLM.fromConfig(config as DecoderLMConfig),
} as const;

export type SavableModel = DecoderLM;

export function savableClassName(model: SavableModel): keyof typeof MODEL_CLASSES {
  if (model instanceof DecoderLM) return 'DecoderLM';
  throw new TypeError('saveModel: not a model class that can be saved');
}
