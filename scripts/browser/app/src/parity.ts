// The parity page, written as a user's app would be: it imports the published @tformer packages,
// starts the backend named in `?backend=`, and runs tiny models through forward, gradients, 20
// AdamW steps and KV-cached greedy generation. It reads tensors only with `await t.data()`. It
// compares nothing itself: it reports raw numbers in `window.__result`, and the driver
// (scripts/browser/run.mjs) compares every backend's numbers with the cpu page's.
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DecoderLM, EncoderDecoder, VisionTransformer } from '@tformer/model';
import { generate } from '@tformer/model/generate';
import { Module } from '@tformer/nn';
import { AdamW, ConstantSchedule, crossEntropy, type DataSource, Trainer } from '@tformer/train';

type Part = { ok: true; ms: number; value: unknown } | { ok: false; ms: number; error: string };
const result: {
  backend: string;
  selection?: unknown;
  firstResultMs?: number;
  parts: Record<string, Part>;
  numTensors?: { before: number; after: number };
  done?: boolean;
} = { backend: '', parts: {} };
(window as unknown as { __result: typeof result }).__result = result;

const log = (line: string) => {
  console.log(line);
  const pre = document.getElementById('log');
  if (pre) pre.textContent += `${line}\n`;
};

/** Reproducible numbers in [0, 1) that do not depend on tfjs's RNG (which differs per backend). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}
const ints = (n: number, max: number, seed: number) => {
  const r = lcg(seed);
  return Array.from({ length: n }, () => Math.floor(r() * max));
};
const floats = (n: number, seed: number) => {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

// Tiny models so that CI stays fast: width 32, 2 heads, 2 layers, context 16, batch 4, vocab 30.
const B = 4;
const T = 16;
const V = 30;
const lmConfig = { vocabSize: V, maxLength: T, numLayers: 2, numHeads: 2, dModel: 32, dropout: 0 };
const edConfig = {
  srcVocabSize: V,
  tgtVocabSize: V,
  numLayers: 2,
  numHeads: 2,
  dModel: 32,
  maxLength: T,
  dropout: 0,
};
const vitConfig = {
  imageSize: 16,
  patchSize: 4,
  channels: 3,
  dModel: 32,
  numHeads: 2,
  numLayers: 2,
  numClasses: 10,
};

const lmIds = () => tf.tensor2d(ints(B * T, V, 1), [B, T], 'int32');
const lmTargets = () => tf.tensor2d(ints(B * T, V, 2), [B, T], 'int32');
const srcIds = () => tf.tensor2d(ints(B * T, V, 3), [B, T], 'int32');
const tgtIds = () => tf.tensor2d(ints(B * T, V, 4), [B, T], 'int32');
const images = () => tf.tensor4d(floats(B * 16 * 16 * 3, 5), [B, 16, 16, 3]);
const labels = () => tf.tensor1d(ints(B, 10, 6), 'int32');

async function read(t: tf.Tensor): Promise<number[]> {
  const values = Array.from(await t.data());
  t.dispose();
  return values;
}

/** Runs one part, records its value (models are recorded as built, not serialised) or error. */
async function part<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const value = await run();
    const ms = performance.now() - started;
    const built = value instanceof Module;
    result.parts[name] = { ok: true, ms, value: built ? 'built' : value };
    log(`ok   ${name} (${ms.toFixed(0)} ms)`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    result.parts[name] = { ok: false, ms: performance.now() - started, error: message };
    log(`FAIL ${name}: ${message}`);
    return undefined;
  }
}

function need<T>(model: T | undefined, name: string): T {
  if (!model) throw new Error(`not run: ${name} failed to build`);
  return model;
}

/** Gradients of `loss` w.r.t. every trainable parameter, by dotted name. */
async function gradients(
  model: DecoderLM | EncoderDecoder | VisionTransformer,
  loss: () => tf.Scalar,
): Promise<{ loss: number; grads: Record<string, number[]> }> {
  const named = model.namedParameters();
  const { value, grads } = tf.variableGrads(
    loss,
    named.map(([, v]) => v),
  );
  const out: Record<string, number[]> = {};
  for (const [name, variable] of named) {
    const g = grads[variable.name];
    if (!g) throw new Error(`no gradient for ${name}`);
    out[name] = await read(g);
  }
  return { loss: (await read(value))[0]!, grads: out };
}

async function main(): Promise<void> {
  const backend = new URLSearchParams(location.search).get('backend') ?? 'cpu';
  result.backend = backend;
  const selection = await selectBackend(backend as BackendName);
  result.selection = {
    name: selection.name,
    reason: selection.reason,
    tfjsBackend: tf.getBackend(),
    info: selection.info,
  };
  log(`backend ${selection.name}: ${selection.reason} (tfjs ${tf.getBackend()})`);
  result.numTensors = { before: tf.memory().numTensors, after: -1 };

  // Each model is built in its own part, so that one that fails to build names itself and the
  // parts of the others still run.
  const lm = await part('build DecoderLM', async () => new DecoderLM(lmConfig, { rng: 1 }));
  const ed = await part(
    'build EncoderDecoder',
    async () => new EncoderDecoder(edConfig, { rng: 2 }),
  );
  const vit = await part(
    'build VisionTransformer',
    async () => new VisionTransformer(vitConfig, { rng: 3 }),
  );

  await part('forward DecoderLM', async () => {
    const ids = lmIds();
    const logits = await read(need(lm, 'DecoderLM').apply(ids));
    ids.dispose();
    result.firstResultMs = performance.now(); // since navigation start
    return logits;
  });
  await part('forward EncoderDecoder', async () => {
    const [src, tgt] = [srcIds(), tgtIds()];
    const logits = await read(need(ed, 'EncoderDecoder').apply(src, tgt));
    tf.dispose([src, tgt]);
    return logits;
  });
  await part('forward VisionTransformer', async () => {
    const x = images();
    const logits = await read(need(vit, 'VisionTransformer').apply(x));
    x.dispose();
    return logits;
  });

  await part('gradients DecoderLM', async () => {
    const [ids, y] = [lmIds(), lmTargets()];
    const model = need(lm, 'DecoderLM');
    const g = await gradients(model, () => crossEntropy(model.apply(ids), y));
    tf.dispose([ids, y]);
    return g;
  });
  await part('gradients EncoderDecoder', async () => {
    const [src, tgt, y] = [srcIds(), tgtIds(), lmTargets()];
    const model = need(ed, 'EncoderDecoder');
    const g = await gradients(model, () => crossEntropy(model.apply(src, tgt), y));
    tf.dispose([src, tgt, y]);
    return g;
  });
  await part('gradients VisionTransformer', async () => {
    const [x, y] = [images(), labels()];
    const model = need(vit, 'VisionTransformer');
    const g = await gradients(model, () => crossEntropy(model.apply(x), y));
    tf.dispose([x, y]);
    return g;
  });

  await part('train DecoderLM 20 AdamW steps', async () => {
    // A fresh model so that the earlier parts cannot influence it.
    const model = new DecoderLM(lmConfig, { rng: 11 });
    type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };
    let i = 0;
    const data: DataSource<Batch> = {
      next: () => {
        const k = i++ % 4;
        return {
          x: tf.tensor2d(ints(B * T, V, 100 + k), [B, T], 'int32'),
          y: tf.tensor2d(ints(B * T, V, 200 + k), [B, T], 'int32'),
        };
      },
      state: () => i,
      restore: (s) => void (i = s as number),
    };
    const losses: number[] = [];
    const gradNorms: number[] = [];
    const msPerStep: number[] = [];
    const optimizer = new AdamW(model.namedParameters(), { weightDecay: 0.1 });
    const trainer = new Trainer({
      model,
      optimizer,
      schedule: new ConstantSchedule(3e-3),
      data,
      loss: (m, b: Batch) => crossEntropy(m.apply(b.x), b.y),
      clipNorm: 0.5,
      callbacks: [
        {
          onStep: (m) => {
            losses.push(m.loss);
            gradNorms.push(m.gradNorm ?? Number.NaN);
            msPerStep.push(m.milliseconds);
          },
        },
      ],
    });
    await trainer.fit(20);
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
    return { losses, gradNorms, msPerStep };
  });

  await part('generate DecoderLM 16 tokens greedy (KV cache)', async () => {
    const prompts = [ints(4, V, 7), ints(4, V, 8)];
    const model = need(lm, 'DecoderLM');
    await generate(model, prompts, { maxNewTokens: 2 }); // warm-up: shader compilation, wasm tiering
    const started = performance.now();
    const tokens = await generate(model, prompts, { maxNewTokens: 16 });
    const ms = performance.now() - started;
    return { tokens, ms, tokensPerSecond: (prompts.length * 16) / (ms / 1000) };
  });

  lm?.dispose();
  ed?.dispose();
  vit?.dispose();
  result.numTensors.after = tf.memory().numTensors;
}

main()
  .catch((error) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    result.parts.start = { ok: false, ms: 0, error: message };
    log(`FAIL start: ${message}`);
  })
  .finally(() => {
    result.done = true;
  });
