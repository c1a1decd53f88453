/**
 * ONNX for deployment: a tformer DecoderLM exported as a Hugging Face folder, converted to ONNX by
 * torch.onnx (interop/python/export_onnx.py), and run by onnxruntime-node from TypeScript must
 * produce tformer's greedy tokens. Runs where TFORMER_INTEROP_PYTHON has onnx and onnxscript
 * (`bash scripts/interop/setup-venv.sh --onnx`) and TFORMER_ONNXRUNTIME_NODE names an
 * onnxruntime-node package (`bash scripts/interop/setup-onnxruntime.sh`); skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { saveHuggingFace } from '@tformer/model/node';
import { describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generate } from '../generate.js';
import { DecoderLM } from '../index.js';

const PYTHON = process.env.TFORMER_INTEROP_PYTHON;
const ORT = process.env.TFORMER_ONNXRUNTIME_NODE;
const SCRIPT = fileURLToPath(new URL('../../../../interop/python/export_onnx.py', import.meta.url));
const ready = Boolean(PYTHON && ORT);
if (!ready) {
  console.log(
    'onnx.test.ts SKIPPED: set TFORMER_INTEROP_PYTHON (setup-venv.sh --onnx) and TFORMER_ONNXRUNTIME_NODE (setup-onnxruntime.sh)',
  );
}

/** The slice of onnxruntime-node's API this test uses. */
interface OrtTensor {
  dims: readonly number[];
  data: Float32Array;
}
interface Ort {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
  InferenceSession: {
    create(
      path: string,
    ): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>> }>;
  };
}

const PROMPT = [3, 1, 4, 1, 5, 9, 2, 6];
const NEW_TOKENS = 12;
let work = '';
let onnxGreedy: Promise<number[]> | undefined;

/** The same model on every backend: seeded, every parameter random. */
function makeModel(): DecoderLM {
  const model = new DecoderLM(
    { vocabSize: 48, maxLength: 32, numLayers: 2, numHeads: 2, dModel: 16, useBias: false },
    { rng: 5 },
  );
  randomizeParameters(model, 55);
  return model;
}

/** Export, convert and decode once, on the first backend (the weights are the same on each). */
async function runOnnx(): Promise<number[]> {
  work = await mkdtemp(join(tmpdir(), 'tformer-onnx-'));
  const model = makeModel();
  await saveHuggingFace(join(work, 'hf'), model);
  model.dispose();
  const onnx = join(work, 'model.onnx');
  await promisify(execFile)(PYTHON!, [SCRIPT, '--folder', join(work, 'hf'), '--out', onnx], {
    timeout: 300_000,
  });
  const ort = createRequire(join(ORT!, 'package.json'))(ORT!) as Ort;
  const session = await ort.InferenceSession.create(onnx);
  // Greedy decoding in onnxruntime: the whole prefix each step, argmax of the last position.
  const ids = [...PROMPT];
  for (let step = 0; step < NEW_TOKENS; step++) {
    const input = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    const { logits } = await session.run({ input_ids: input });
    const vocab = logits!.dims[2]!;
    const last = logits!.data.subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let i = 1; i < vocab; i++) if (last[i]! > last[best]!) best = i;
    ids.push(best);
  }
  return ids.slice(PROMPT.length);
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describeWithBackends('ONNX Runtime (onnxruntime-node)', () => {
  beforeAll(async () => {
    if (ready) await (onnxGreedy ??= runOnnx());
  }, 400_000);

  it.skipIf(!ready)('runs the exported model to the same greedy tokens as tformer', async () => {
    const before = tf.memory().numTensors;
    const model = makeModel();
    const [ours] = await generate(model, [PROMPT], { maxNewTokens: NEW_TOKENS });
    model.dispose();
    const theirs = await onnxGreedy!;
    expect(theirs).toHaveLength(NEW_TOKENS);
    expect(ours).toEqual(theirs);
    // Random weights rarely emit one token over and over: the comparison is not of constants.
    expect(new Set(theirs).size).toBeGreaterThan(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
