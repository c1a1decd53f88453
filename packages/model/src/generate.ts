// `@tformer/model/generate` — decoding token ids with a model (exports below are sorted by module).
// The models are in the root entry `@tformer/model`; this entry imports no `node:*` module, so it
// bundles for browsers.
//
// | group          | names |
// | -------------- | ----- |
// | DecoderLM      | generate, generateStream (greedy by default; temperature, top-k, top-p,
// |                | repetition penalty, stop tokens, KV cache), GenerateOptions, GenerationStep |
// | EncoderDecoder | generateSeq2Seq, generateSeq2SeqStream (the same options, batched sources),
// |                | Seq2SeqGenerateOptions |
// | beam search    | beamSearchDecoderLM, beamSearchEncoderDecoder, beamSearchEncoderDecoderBatch,
// |                | beamSearch (over any next-token function), BeamSearchOptions,
// |                | ModelBeamSearchOptions, Hypothesis, NextLogProbs |
// | sampling       | argmax (greedy pick of a logit row), SamplingOptions |
//
// Internal: the one-token decoding step, the per-sequence beam state, sampling distributions.

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
export {
  type GenerateOptions,
  type GenerationStep,
  generate,
  generateStream,
} from './decoder-lm-generate.js';
export { argmax, type SamplingOptions } from './sampling.js';
export {
  generateSeq2Seq,
  generateSeq2SeqStream,
  type Seq2SeqGenerateOptions,
} from './seq2seq-generate.js';
