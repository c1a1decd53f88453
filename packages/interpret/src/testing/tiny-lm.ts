import { DecoderLM, type DecoderLMConfig, EncoderDecoder } from '@tformer/model';

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

/** A one-layer EncoderDecoder (vocabularies 9, width 8, two heads), seed 2. */
export function tinyEncoderDecoder(): EncoderDecoder {
  return new EncoderDecoder(
    {
      srcVocabSize: 9,
      tgtVocabSize: 9,
      numLayers: 1,
      dModel: 8,
      numHeads: 2,
      dFF: 8,
      dropout: 0,
      maxLength: 8,
    },
    { rng: 2 },
  );
}
