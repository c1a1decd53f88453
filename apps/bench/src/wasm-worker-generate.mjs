// A worker thread of `wasm-workers.ts` (plain JS: worker threads do not inherit tsx's loader):
// its own tfjs-wasm (one thread, SIMD) with a copy of the main thread's model, generating greedily
// for the rows it is sent. Messages in: `{ config, weights, warmup }` once (weights: name →
// `{ shape, values: Float32Array }`; answered `{ ready: true }` after `warmup` unmeasured tokens),
// then `{ prompts, maxNewTokens }` (answered `{ tokens }`).
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { DecoderLM } from '@tformer/model';
import { generate } from '@tformer/model/generate';

const port = parentPort;
if (!port) throw new Error('wasm-worker-generate.mjs runs as a worker thread of wasm-workers.ts');
let model;
port.on('message', async (message) => {
  if ('config' in message) {
    await selectBackend('wasm');
    model = new DecoderLM(message.config, { rng: 0 });
    const state = Object.fromEntries(
      Object.entries(message.weights).map(([name, w]) => [name, tf.tensor(w.values, w.shape)]),
    );
    model.loadStateDict(state);
    tf.dispose(Object.values(state));
    model.eval();
    // As warm-up.ts: V8 runs a step's JS in its slower tiers for the first few hundred steps.
    const prompt = Array.from({ length: 48 }, (_, i) => (i * 13) % 65);
    for (let done = 0; done < message.warmup; done += 256) {
      await generate(model, [prompt], { maxNewTokens: 256, doSample: false });
    }
    port.postMessage({ ready: true });
  } else {
    const { prompts, maxNewTokens } = message;
    port.postMessage({ tokens: await generate(model, prompts, { maxNewTokens, doSample: false }) });
  }
});
