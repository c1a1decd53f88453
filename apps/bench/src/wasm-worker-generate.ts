/**
 * A worker thread of `wasm-workers.ts` (started through `wasm-worker-entry.mjs`): its own
 * tfjs-wasm (one thread, SIMD) with a copy of the main thread's model, generating greedily for
 * the rows it is sent. Messages in: `{ config, weights, warmup }` once (answered `{ ready: true }`
 * after `warmup` unmeasured tokens), then `{ prompts, maxNewTokens }` (answered `{ tokens }`).
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { generate } from '@tformer/model/generate';
import { warmUp } from './warm-up.js';

/** A state dict as plain arrays, which `postMessage` copies between threads. */
export type Weights = Record<string, { shape: number[]; values: Float32Array }>;

type Message =
  | { config: DecoderLMConfig; weights: Weights; warmup: number }
  | { prompts: number[][]; maxNewTokens: number };

const port = parentPort;
if (!port) throw new Error('wasm-worker-generate.ts runs as a worker thread of wasm-workers.ts');
let model: DecoderLM | undefined;
port.on('message', async (message: Message) => {
  if ('config' in message) {
    await selectBackend('wasm');
    model = new DecoderLM(message.config, { rng: 0 });
    const state = Object.fromEntries(
      Object.entries(message.weights).map(([name, w]) => [name, tf.tensor(w.values, w.shape)]),
    );
    model.loadStateDict(state);
    tf.dispose(Object.values(state));
    model.eval();
    await warmUp(model, message.warmup);
    port.postMessage({ ready: true });
  } else {
    const { prompts, maxNewTokens } = message;
    port.postMessage({
      tokens: await generate(model!, prompts, { maxNewTokens, doSample: false }),
    });
  }
});
