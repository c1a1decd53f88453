import {
  type BlockConfig,
  checkPositiveInts,
  type FeedForwardActivation,
  fillBlockConfig,
  type ResolvedBlockConfig,
  resolveBlockConfig,
  sharedBlockFields,
} from './block-config.js';
import { ModelConfigError } from './errors.js';

/** Configuration of the paper's encoder-decoder Transformer. */
export interface EncoderDecoderConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** Encoder layers (the paper's N); also the decoder's unless `numDecoderLayers` is set. */
  numLayers: number;
  numDecoderLayers?: number;
  dModel: number;
  numHeads: number;
  /** Default 4·dModel (2048 for d = 512, as the paper). */
  dFF?: number;
  /** Longest source or target sequence (rows of the sinusoidal table); default 512. */
  maxLength?: number;
  /** Default 0.1 (P_drop of the paper's base model). */
  dropout?: number;
  /** One embedding matrix for source and target (a shared BPE vocabulary); needs equal sizes. */
  shareEmbeddings?: boolean;
  /** Output projection = target embedding transposed (§3.4); default true. */
  tieOutput?: boolean;
  /** Default false: post-LN as in the paper. */
  preNorm?: boolean;
  activation?: FeedForwardActivation;
  /** Biases in the projections and LayerNorms (default true). */
  useBias?: boolean;
  layerNormEps?: number;
  /** Token id of padding: masked out of attention in source and target. Default: no padding. */
  padTokenId?: number;
}

export type ResolvedEncoderDecoderConfig = Required<Omit<EncoderDecoderConfig, 'padTokenId'>> &
  Pick<EncoderDecoderConfig, 'padTokenId'>;

/** Presets. `transformerBase` is the paper's base model (Table 3): N = 6, d = 512, h = 8. */
export const ENCODER_DECODER_PRESETS = {
  transformerBase: {
    srcVocabSize: 37000,
    tgtVocabSize: 37000,
    numLayers: 6,
    dModel: 512,
    numHeads: 8,
    dFF: 2048,
    dropout: 0.1,
    shareEmbeddings: true,
  },
} as const satisfies Record<string, EncoderDecoderConfig>;

/** Fills defaults and validates, throwing {@link ModelConfigError} naming the field. */
export function resolveEncoderDecoderConfig(
  config: EncoderDecoderConfig,
): ResolvedEncoderDecoderConfig {
  const c: ResolvedEncoderDecoderConfig = {
    numDecoderLayers: config.numLayers,
    dFF: 4 * config.dModel,
    maxLength: 512,
    dropout: 0.1,
    shareEmbeddings: false,
    tieOutput: true,
    preNorm: false,
    activation: 'relu',
    useBias: true,
    layerNormEps: 1e-6,
    ...config,
  };
  checkPositiveInts(c, [
    'srcVocabSize',
    'tgtVocabSize',
    'numLayers',
    'numDecoderLayers',
    'maxLength',
  ]);
  if (c.shareEmbeddings && c.srcVocabSize !== c.tgtVocabSize) {
    throw new ModelConfigError(
      'shareEmbeddings',
      `needs srcVocabSize = tgtVocabSize, got ${c.srcVocabSize} and ${c.tgtVocabSize}`,
    );
  }
  if (c.padTokenId !== undefined && !(Number.isInteger(c.padTokenId) && c.padTokenId >= 0)) {
    throw new ModelConfigError('padTokenId', `expected an integer ≥ 0, got ${c.padTokenId}`);
  }
  resolveBlockConfig(blockFields(c));
  return c;
}

/**
 * The configuration of every encoder and decoder block. Fills defaults without checking: `c`
 * comes from {@link resolveEncoderDecoderConfig}, which checked it.
 */
export function encoderDecoderBlockConfig(c: ResolvedEncoderDecoderConfig): ResolvedBlockConfig {
  return fillBlockConfig(blockFields(c));
}

function blockFields(c: ResolvedEncoderDecoderConfig): BlockConfig {
  return {
    ...sharedBlockFields(c),
    activation: c.activation,
    preNorm: c.preNorm,
    useBias: c.useBias,
    layerNormEps: c.layerNormEps,
  };
}
