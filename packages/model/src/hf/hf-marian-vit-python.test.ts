/**
 * EncoderDecoder ↔ `MarianMTModel` and VisionTransformer ↔ `ViTForImageClassification`, checked
 * against the real library as hf-python.test.ts checks the language models: each tiny model is
 * exported, loaded by `from_pretrained` in Python (interop/python/hf_check.py), and its logits
 * (and, for translation, greedy tokens) are compared with ours; Python then trains one AdamW step
 * and saves a folder back, which we import and must compute Python's new logits from. Runs where
 * TFORMER_INTEROP_PYTHON names a Python with torch and transformers (`bash
 * scripts/interop/setup-venv.sh` makes one and prints it; .ci/run sets it); skipped otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadHuggingFace, saveHuggingFace } from '@tformer/model/node';
import { describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { generateSeq2Seq } from '../generate.js';
import {
  EncoderDecoder,
  type EncoderDecoderConfig,
  VisionTransformer,
  type VisionTransformerConfig,
} from '../index.js';
import { maxDiff, PYTHON, type PythonAnswers, pythonRoundTrip } from '../testing/hf-python.js';

interface PythonResult {
  class: string;
  logits: number[];
  greedy?: number[];
  lossBefore: number;
  lossAfter: number;
  logitsAfter: number[];
}

const SRC = [
  [5, 9, 3, 12, 7, 21, 4, 2],
  [8, 8, 17, 6, 25, 11, 3, 2],
];
const TGT = [
  [1, 6, 14, 3, 9, 20],
  [1, 13, 4, 4, 18, 7],
];
const START = 1;
const NEW_TOKENS = 8;
const TOLERANCE = 1e-4;
const IMAGE = { size: 8, channels: 3, batch: 2 };

type Case =
  | { name: string; kind: 'marian'; config: EncoderDecoderConfig }
  | { name: string; kind: 'vit'; config: VisionTransformerConfig };

const CASES: Case[] = [
  {
    // The paper's model: post-LN, ReLU, one shared vocabulary, tied output; no biases here
    // (exported as zero biases), fewer decoder than encoder layers, a pad id that masks sources.
    name: 'marian: shared vocabulary, tied output, relu, no biases',
    kind: 'marian',
    config: {
      srcVocabSize: 30,
      tgtVocabSize: 30,
      shareEmbeddings: true,
      numLayers: 2,
      numDecoderLayers: 1,
      dModel: 16,
      numHeads: 4,
      dFF: 24,
      maxLength: 16,
      dropout: 0,
      useBias: false,
      layerNormEps: 1e-5,
      padTokenId: 0,
    },
  },
  {
    name: 'marian: two vocabularies, untied output with a bias, gelu_tanh',
    kind: 'marian',
    config: {
      srcVocabSize: 30,
      tgtVocabSize: 23,
      numLayers: 1,
      numDecoderLayers: 2,
      dModel: 16,
      numHeads: 2,
      dFF: 32,
      maxLength: 16,
      dropout: 0,
      tieOutput: false,
      activation: 'gelu_tanh',
      layerNormEps: 1e-5,
    },
  },
  {
    name: 'vit: 8×8 RGB, 4×4 patches, 5 classes',
    kind: 'vit',
    config: {
      imageSize: IMAGE.size,
      patchSize: 4,
      channels: IMAGE.channels,
      dModel: 16,
      numHeads: 2,
      numLayers: 2,
      dFF: 32,
      numClasses: 5,
    },
  },
];

/** Deterministic pixels `[B, H, W, C]` in [−1, 1], every value distinct enough to catch a mixed-up axis. */
const PIXELS = Float32Array.from(
  { length: IMAGE.batch * IMAGE.size * IMAGE.size * IMAGE.channels },
  (_, i) => Math.sin(i * 1.7 + 0.3),
);
/** The same pixels as PyTorch's `pixel_values` `[B, C, H, W]`. */
function pixelsNCHW(): number[][][][] {
  const { batch, size, channels } = IMAGE;
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: channels }, (_, c) =>
      Array.from({ length: size }, (_, y) =>
        Array.from({ length: size }, (_, x) => PIXELS[((b * size + y) * size + x) * channels + c]!),
      ),
    ),
  );
}

/** Every parameter random (biases and the untied output bias included), seeded per case. */
function makeModel(k: number): EncoderDecoder | VisionTransformer {
  const c = CASES[k]!;
  const model =
    c.kind === 'marian'
      ? new EncoderDecoder(c.config, { rng: k })
      : new VisionTransformer(c.config, { rng: k });
  randomizeParameters(model, 200 + k);
  return model;
}

async function logitsOf(model: EncoderDecoder | VisionTransformer): Promise<Float32Array> {
  const inputs =
    model instanceof EncoderDecoder
      ? [tf.tensor2d(SRC, undefined, 'int32'), tf.tensor2d(TGT, undefined, 'int32')]
      : [tf.tensor4d(PIXELS, [IMAGE.batch, IMAGE.size, IMAGE.size, IMAGE.channels])];
  const logits =
    model instanceof EncoderDecoder ? model.apply(inputs[0]!, inputs[1]!) : model.apply(inputs[0]!);
  const data = (await logits.data()) as Float32Array;
  tf.dispose([...inputs, logits]);
  return data;
}

const exportAndCheck = pythonRoundTrip<PythonResult>({
  file: 'hf-marian-vit-python.test.ts',
  prefix: 'tformer-hf-s2s-',
  count: CASES.length,
  async save(dir, k) {
    const model = makeModel(k);
    await saveHuggingFace(dir, model, { specialTokenIds: { decoderStart: START } });
    model.dispose();
  },
  jobs: (folders, back) =>
    CASES.map((c, k) => ({
      folder: folders[k],
      saveBack: back[k],
      ...(c.kind === 'marian'
        ? { task: 'seq2seq', expectClass: 'MarianMTModel', src: SRC, tgt: TGT, startToken: START }
        : {
            task: 'image',
            expectClass: 'ViTForImageClassification',
            pixels: pixelsNCHW(),
            labels: [1, 3],
          }),
    })),
  args: ['--new-tokens', String(NEW_TOKENS)],
});

describeWithBackends('MarianMTModel and ViTForImageClassification round trips', (backend) => {
  let answers: PythonAnswers<PythonResult> | undefined;
  beforeAll(async () => {
    if (PYTHON) answers = await exportAndCheck(backend);
  });

  CASES.forEach((c, k) => {
    it.skipIf(!PYTHON)(`${c.name}: from_pretrained, logits, save_pretrained back`, async () => {
      const before = tf.memory().numTensors;
      const result = answers!.results[k]!;
      const model = makeModel(k);
      expect(result.class).toBe(
        c.kind === 'marian' ? 'MarianMTModel' : 'ViTForImageClassification',
      );
      const ours = await logitsOf(model);
      expect(maxDiff(ours, result.logits)).toBeLessThanOrEqual(TOLERANCE);
      if (model instanceof EncoderDecoder) {
        const [greedy] = await generateSeq2Seq(model, [SRC[0]!], {
          startToken: START,
          maxNewTokens: NEW_TOKENS,
        });
        expect(greedy).toEqual(result.greedy);
      }
      model.dispose();

      // One AdamW step in PyTorch moved the logits: the import must give the new ones.
      expect(result.lossAfter).toBeLessThan(result.lossBefore);
      expect(maxDiff(ours, result.logitsAfter)).toBeGreaterThan(1e-3);
      const loaded = await loadHuggingFace(answers!.back[k]!);
      expect(loaded.format).toBe(c.kind);
      const back = await logitsOf(loaded.model as EncoderDecoder | VisionTransformer);
      expect(maxDiff(back, result.logitsAfter)).toBeLessThanOrEqual(TOLERANCE);
      loaded.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
