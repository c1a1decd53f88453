import { EncoderDecoder, type EncoderDecoderConfig } from '../index.js';

/** The small untrained encoder-decoder of the generation tests (untied output: varied tokens). */
export const TINY_SEQ2SEQ: EncoderDecoderConfig = {
  srcVocabSize: 13,
  tgtVocabSize: 13,
  numLayers: 2,
  dModel: 16,
  numHeads: 2,
  dFF: 32,
  dropout: 0,
  maxLength: 16,
  tieOutput: false,
};

/** A {@link TINY_SEQ2SEQ} model from `seed`, with an optional pad id. */
export function tinySeq2Seq(seed: number, padTokenId?: number): EncoderDecoder {
  return new EncoderDecoder({ ...TINY_SEQ2SEQ, padTokenId }, { rng: seed });
}
