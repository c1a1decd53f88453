import type { DecoderLMConfig } from './decoder-lm-config.js';
import { decoderLMParameterCount } from './decoder-lm-config.js';
import {
  type EncoderClassifierConfig,
  resolveEncoderClassifierConfig,
} from './encoder-classifier.js';
import {
  type EncoderDecoderConfig,
  resolveEncoderDecoderConfig,
} from './encoder-decoder-config.js';
import {
  resolveVisionTransformerConfig,
  type VisionTransformerConfig,
} from './vision-transformer.js';

/** Parameters of one attention: query/key/value/output projections (+ biases). */
function attention(d: number, heads: number, kvHeads: number, headSize: number, b: number) {
  const q = heads * headSize;
  const kv = kvHeads * headSize;
  return d * q + b * q + 2 * (d * kv + b * kv) + q * d + b * d;
}

/** A post- or pre-LN block's LayerNorm, FFN (ReLU/GELU: up + down) parameters. */
function layerNorm(d: number, b: number) {
  return d * (1 + b);
}

function ffn(d: number, dFF: number, b: number) {
  return d * dFF + b * dFF + dFF * d + b * d;
}

/**
 * The number of parameter values (elements of every weight) the model that `config` describes
 * has, in closed form: nothing is built or allocated. The config is resolved and checked first
 * (a bad field raises `ModelConfigError`). Also returns the elements of the largest table a
 * model computes from its config besides its parameters (the encoder-decoder's sinusoidal
 * positions), so a loader can bound what building it would allocate.
 */
export function modelParameterCount(
  className: string,
  config: unknown,
): { parameters: number; tables: number } {
  switch (className) {
    case 'DecoderLM':
      return { parameters: decoderLMParameterCount(config as DecoderLMConfig), tables: 0 };
    case 'EncoderDecoder': {
      const c = resolveEncoderDecoderConfig(config as EncoderDecoderConfig);
      const d = c.dModel;
      const b = c.useBias ? 1 : 0;
      const hs = d / c.numHeads;
      const self = attention(d, c.numHeads, c.numHeads, hs, b);
      const encoderBlock = self + ffn(d, c.dFF, b) + 2 * layerNorm(d, b);
      const decoderBlock = 2 * self + ffn(d, c.dFF, b) + 3 * layerNorm(d, b);
      const finalNorms = c.preNorm ? 2 * layerNorm(d, b) : 0;
      const embeddings = c.srcVocabSize * d + (c.shareEmbeddings ? 0 : c.tgtVocabSize * d);
      const generator = c.tieOutput ? 0 : d * c.tgtVocabSize + c.tgtVocabSize;
      return {
        parameters:
          embeddings +
          c.numLayers * encoderBlock +
          c.numDecoderLayers * decoderBlock +
          finalNorms +
          generator,
        tables: c.maxLength * d,
      };
    }
    case 'EncoderClassifier': {
      const c = resolveEncoderClassifierConfig(config as EncoderClassifierConfig);
      const d = c.dModel;
      const block =
        attention(d, c.numHeads, c.numHeads, c.headSize, 1) +
        ffn(d, c.dFF, 1) +
        2 * layerNorm(d, 1);
      const hidden = c.hiddenDim > 0 ? d * c.hiddenDim + c.hiddenDim : 0;
      const classifier = (c.hiddenDim || d) * c.numClasses + c.numClasses;
      return {
        parameters: (c.vocabSize + c.maxLength) * d + c.numLayers * block + hidden + classifier,
        tables: 0,
      };
    }
    case 'VisionTransformer': {
      const c = resolveVisionTransformerConfig(config as VisionTransformerConfig);
      const d = c.dModel;
      const patches = (c.imageSize / c.patchSize) ** 2;
      const patchIn = c.patchSize * c.patchSize * c.channels;
      const block =
        attention(d, c.numHeads, c.numHeads, d / c.numHeads, 1) +
        ffn(d, c.dFF, 1) +
        2 * layerNorm(d, 1);
      return {
        parameters:
          d +
          (patches + 1) * d +
          patchIn * d +
          d +
          c.numLayers * block +
          2 * d +
          d * c.numClasses +
          c.numClasses,
        tables: 0,
      };
    }
    default:
      throw new TypeError(`modelParameterCount: unknown class ${className}`);
  }
}
