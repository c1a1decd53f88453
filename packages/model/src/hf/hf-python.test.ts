/**
 * tformer ↔ Hugging Face transformers, checked against the real library: each tiny DecoderLM is
 * exported as a folder, loaded by `from_pretrained` in Python (interop/python/hf_check.py), and
 * its logits and greedy tokens are compared with ours; Python then trains one AdamW step, saves a
 * folder back, and our import of it must give Python's new logits. Runs where
 * TFORMER_INTEROP_PYTHON names a Python with torch and transformers (`bash
 * scripts/interop/setup-venv.sh` makes one and prints it; .ci/run sets it); skipped otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadHuggingFace, saveHuggingFace } from '@tformer/model/node';
import { describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { generate } from '../generate.js';
import { DecoderLM, type DecoderLMConfig } from '../index.js';
import { maxDiff, PYTHON, type PythonAnswers, pythonRoundTrip } from '../testing/hf-python.js';

interface PythonResult {
  class: string;
  logits: number[][][];
  greedy: number[];
  lossBefore: number;
  lossAfter: number;
  logitsAfter: number[][][];
}

const IDS = [
  [1, 7, 3, 12, 5, 9, 30, 2],
  [4, 4, 18, 0, 21, 6, 11, 8],
];
const NEW_TOKENS = 8;
const TOLERANCE = 1e-4;

const CASES: { name: string; expectClass: string; config: DecoderLMConfig }[] = [
  {
    // textgen's defaults: exact GELU and no biases (exported as zero biases).
    name: 'gpt2, no biases, gelu',
    expectClass: 'GPT2LMHeadModel',
    config: { vocabSize: 40, maxLength: 24, numLayers: 2, numHeads: 2, dModel: 16, useBias: false },
  },
  {
    name: 'gpt2, biases, gelu_tanh, untied head',
    expectClass: 'GPT2LMHeadModel',
    config: {
      vocabSize: 40,
      maxLength: 24,
      numLayers: 2,
      numHeads: 4,
      dModel: 16,
      dFF: 24,
      activation: 'gelu_tanh',
      tieEmbeddings: false,
    },
  },
  {
    name: 'llama: rope, rms, swiglu, gqa',
    expectClass: 'LlamaForCausalLM',
    config: {
      vocabSize: 40,
      maxLength: 24,
      numLayers: 2,
      numHeads: 4,
      numKeyValueHeads: 2,
      dModel: 16,
      dFF: 40,
      position: 'rope',
      norm: 'rms',
      activation: 'swiglu',
      useBias: false,
      tieEmbeddings: false,
      layerNormEps: 1e-6,
    },
  },
];

async function logitsOf(model: DecoderLM): Promise<Float32Array> {
  const ids = tf.tensor2d(IDS, undefined, 'int32');
  const logits = model.apply(ids);
  const data = (await logits.data()) as Float32Array;
  tf.dispose([ids, logits]);
  return data;
}

/** The case's model: seeded, every parameter random, a zero head bias (GPT-2's and Llama's have none). */
function makeModel(k: number): DecoderLM {
  const model = new DecoderLM(CASES[k]!.config, { rng: k });
  randomizeParameters(model, 100 + k);
  const headBias = model.head?.bias;
  if (headBias) tf.tidy(() => headBias.assign(tf.zerosLike(headBias)));
  return model;
}

const exportAndCheck = pythonRoundTrip<PythonResult>({
  file: 'hf-python.test.ts',
  prefix: 'tformer-hf-',
  count: CASES.length,
  async save(dir, k) {
    const model = makeModel(k);
    await saveHuggingFace(dir, model);
    model.dispose();
  },
  jobs: (folders, back) =>
    CASES.map((c, k) => ({ folder: folders[k], expectClass: c.expectClass, saveBack: back[k] })),
  args: ['--ids', JSON.stringify(IDS), '--new-tokens', String(NEW_TOKENS)],
});

describeWithBackends('Hugging Face transformers round trip', (backend) => {
  let answers: PythonAnswers<PythonResult> | undefined;
  beforeAll(async () => {
    if (PYTHON) answers = await exportAndCheck(backend);
  });

  CASES.forEach(({ name, expectClass, config }, k) => {
    it.skipIf(!PYTHON)(
      `${name}: from_pretrained, logits, greedy, save_pretrained back`,
      async () => {
        const before = tf.memory().numTensors;
        const result = answers!.results[k]!;
        expect(result.class).toBe(expectClass);
        const model = makeModel(k);
        const ours = await logitsOf(model);
        expect(maxDiff(ours, result.logits)).toBeLessThanOrEqual(TOLERANCE);
        const [greedy] = await generate(model, [IDS[0]!], { maxNewTokens: NEW_TOKENS });
        expect(greedy).toEqual(result.greedy);
        model.dispose();

        // Python trained one step and saved a folder: we must compute its new logits, which differ
        // from the exported model's (so this cannot pass on the old weights).
        expect(result.lossAfter).toBeLessThan(result.lossBefore);
        expect(maxDiff(ours, result.logitsAfter)).toBeGreaterThan(1e-3);
        const loaded = await loadHuggingFace(answers!.back[k]!);
        if (!(loaded.model instanceof DecoderLM))
          throw new Error(`not a DecoderLM: ${loaded.format}`);
        expect(loaded.model.config.position).toBe(config.position ?? 'learned');
        const back = await logitsOf(loaded.model);
        expect(maxDiff(back, result.logitsAfter)).toBeLessThanOrEqual(TOLERANCE);
        loaded.model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      },
    );
  });
});
