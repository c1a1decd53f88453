import { describe, expect, it } from 'vitest';
import { resolveDecoderLMConfig } from './decoder-lm-config.js';
import {
  DECODER_LM_PRESETS,
  DecoderLM,
  decoderLMParameterCount,
  EncoderClassifier,
  EncoderDecoder,
  ModelConfigError,
  VisionTransformer,
} from './index.js';

describe('decoderLMParameterCount', () => {
  it("counts nanoGPT's shakespeare-char model as nanoGPT does: 10.65M", () => {
    // Per block without biases: 2 LayerNorm gains (2·384) + qkv and proj (4·384²) + MLP (8·384²).
    // 6 blocks = 10,621,440; + wte 65·384 = 24,960; + ln_f 384 → 10,646,784.
    const count = decoderLMParameterCount(DECODER_LM_PRESETS.shakespeareChar, {
      includePositions: false,
    });
    expect(count).toBe(10_646_784);
    expect((count / 1e6).toFixed(2)).toBe('10.65');
    expect(decoderLMParameterCount(DECODER_LM_PRESETS.shakespeareChar)).toBe(
      10_646_784 + 256 * 384,
    );
  });

  it('counts biases, untied heads, GQA and SwiGLU from their shapes', () => {
    const base = {
      vocabSize: 10,
      maxLength: 4,
      numLayers: 1,
      numHeads: 2,
      dModel: 4,
      dFF: 8,
    } as const;
    // Attention 4·16 + biases 4·4; FFN 2·32 + 8 + 4; 2 LayerNorms 2·8; final 8; wte 40; wpe 16.
    expect(decoderLMParameterCount({ ...base, useBias: true })).toBe(80 + 76 + 16 + 8 + 40 + 16);
    expect(decoderLMParameterCount({ ...base, useBias: false, tieEmbeddings: false })).toBe(
      64 + 64 + 8 + 4 + 40 + 40 + 16,
    );
    // One KV head of size 2: k and v shrink from 4×4 to 4×2 each.
    expect(decoderLMParameterCount({ ...base, useBias: false, numKeyValueHeads: 1 })).toBe(
      decoderLMParameterCount({ ...base, useBias: false }) - 2 * 4 * 2,
    );
    // SwiGLU adds a third d×dFF matrix; RoPE has no position table.
    expect(
      decoderLMParameterCount({ ...base, useBias: false, activation: 'swiglu', position: 'rope' }),
    ).toBe(decoderLMParameterCount({ ...base, useBias: false }) + 4 * 8 - 16);
    // RMSNorm has a gain and no bias: the three norms lose their 4-wide betas.
    expect(decoderLMParameterCount({ ...base, useBias: true, norm: 'rms' })).toBe(
      decoderLMParameterCount({ ...base, useBias: true }) - 3 * 4,
    );
  });
});

describe('resolveDecoderLMConfig', () => {
  it('fills GPT-2 defaults', () => {
    const c = resolveDecoderLMConfig(DECODER_LM_PRESETS.baby);
    expect(c).toMatchObject({
      dFF: 512,
      numKeyValueHeads: 4,
      activation: 'gelu',
      tieEmbeddings: true,
      useBias: false,
    });
  });

  it.each([
    [{ dModel: 100, numHeads: 3 }, /dModel: 100 is not divisible by numHeads 3/],
    [
      { numKeyValueHeads: 3 },
      /numKeyValueHeads: numHeads 4 is not a multiple of numKeyValueHeads 3/,
    ],
    [{ vocabSize: 0 }, /vocabSize: expected a positive integer, got 0/],
    [{ norm: 'batch' as 'rms' }, /norm: expected 'layer' or 'rms', got "batch"/],
    [{ maxLength: 1.5 }, /maxLength: expected a positive integer, got 1.5/],
    [{ dropout: 1 }, /dropout: expected a rate in \[0, 1\), got 1/],
    [{ dModel: 12, numHeads: 4, position: 'rope' as const }, /rope needs an even head size, got 3/],
  ])('rejects %o with a typed error naming the field', (patch, message) => {
    const attempt = () => resolveDecoderLMConfig({ ...DECODER_LM_PRESETS.baby, ...patch });
    expect(attempt).toThrow(ModelConfigError);
    expect(attempt).toThrow(message);
  });

  it.each([
    ['DecoderLM', (numHeads: number) => new DecoderLM({ ...DECODER_LM_PRESETS.baby, numHeads })],
    [
      'EncoderDecoder',
      (numHeads: number) =>
        new EncoderDecoder({ srcVocabSize: 5, tgtVocabSize: 5, numLayers: 1, dModel: 8, numHeads }),
    ],
    [
      'EncoderClassifier',
      (numHeads: number) =>
        new EncoderClassifier({
          vocabSize: 5,
          maxLength: 4,
          dModel: 8,
          numHeads,
          dFF: 8,
          numClasses: 2,
        }),
    ],
    [
      'VisionTransformer',
      (numHeads: number) =>
        new VisionTransformer({
          imageSize: 4,
          patchSize: 2,
          dModel: 8,
          numHeads,
          numLayers: 1,
          numClasses: 2,
        }),
    ],
  ] as const)('%s: a bad numHeads is one ModelConfigError naming the field', (name, build) => {
    const cases = [
      [0, 'numHeads', 'numHeads: expected a positive integer, got 0'],
      [3, 'dModel', 'is not divisible by numHeads 3'],
    ] as const;
    // EncoderClassifier's heads default to dModel wide (Keras), so 3 heads of 8 are fine there.
    for (const [numHeads, field, message] of name === 'EncoderClassifier'
      ? cases.slice(0, 1)
      : cases) {
      const error = (() => {
        try {
          build(numHeads).dispose();
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ModelConfigError);
      expect((error as ModelConfigError).field).toBe(field);
      expect((error as ModelConfigError).message).toContain(message);
    }
  });
});
