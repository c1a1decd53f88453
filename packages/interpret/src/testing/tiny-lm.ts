import { DecoderLM, type DecoderLMConfig } from '@tformer/model';

/** A two-layer DecoderLM small enough for hand-checked cases. */
export const TINY_LM: DecoderLMConfig = {
  vocabSize: 9,
  maxLength: 8,
  numLayers: 2,
  numHeads: 2,
  dModel: 8,
  useBias: true,
};

export function tinyLM(seed = 3, config: Partial<DecoderLMConfig> = {}): DecoderLM {
  const model = new DecoderLM({ ...TINY_LM, ...config }, { rng: seed });
  model.eval();
  return model;
}
