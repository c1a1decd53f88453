import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { MODEL_CLASSES } from './model-classes.js';
import { modelParameterCount } from './parameter-count.js';

const CONFIGS: Array<[keyof typeof MODEL_CLASSES, object]> = [
  ['DecoderLM', { vocabSize: 11, maxLength: 7, numLayers: 2, numHeads: 2, dModel: 8 }],
  [
    'DecoderLM',
    {
      vocabSize: 11,
      maxLength: 7,
      numLayers: 1,
      numHeads: 4,
      numKeyValueHeads: 2,
      dModel: 8,
      dFF: 12,
      tieEmbeddings: false,
      activation: 'swiglu',
    },
  ],
  [
    'DecoderLM',
    {
      vocabSize: 5,
      maxLength: 7,
      numLayers: 1,
      numHeads: 2,
      dModel: 8,
      useBias: false,
      position: 'rope',
    },
  ],
  [
    'EncoderDecoder',
    {
      srcVocabSize: 11,
      tgtVocabSize: 13,
      numLayers: 1,
      dModel: 8,
      numHeads: 2,
      dFF: 12,
      tieOutput: false,
    },
  ],
  [
    'EncoderDecoder',
    {
      srcVocabSize: 11,
      tgtVocabSize: 11,
      numLayers: 2,
      numDecoderLayers: 1,
      dModel: 8,
      numHeads: 2,
      shareEmbeddings: true,
      useBias: false,
      preNorm: true,
    },
  ],
  [
    'EncoderClassifier',
    {
      vocabSize: 11,
      maxLength: 7,
      dModel: 8,
      numHeads: 2,
      headSize: 3,
      dFF: 12,
      numClasses: 3,
      numLayers: 2,
    },
  ],
  [
    'EncoderClassifier',
    { vocabSize: 11, maxLength: 7, dModel: 8, numHeads: 2, dFF: 12, numClasses: 3, hiddenDim: 0 },
  ],
  [
    'VisionTransformer',
    {
      imageSize: 8,
      patchSize: 4,
      channels: 2,
      dModel: 8,
      numHeads: 2,
      numLayers: 2,
      dFF: 12,
      numClasses: 3,
    },
  ],
];

describeWithBackends('modelParameterCount', () => {
  it.each(CONFIGS)('%s: the closed form equals the built model', (className, config) => {
    const model = MODEL_CLASSES[className](config);
    try {
      const built = model
        .namedParameters()
        .reduce((n, [, v]) => n + v.shape.reduce((a, b) => a * b, 1), 0);
      expect(modelParameterCount(className, config).parameters).toBe(built);
    } finally {
      model.dispose();
    }
  });
});
