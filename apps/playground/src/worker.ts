/**
 * The worker that owns tfjs: it starts the backend, builds or loads the model, trains it step by
 * step (pausable), streams generated text and computes the interpretability views, so that the
 * page never freezes. It reads tensors only with `await t.data()` (one read per training step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendChoice, selectBackend } from '@tformer/backend';
import {
  attentionMaps,
  attentionRollout,
  gradientTimesInput,
  integratedGradients,
  logitLens,
} from '@tformer/interpret';
import { DecoderLM, decodeModel, decoderLMParameterCount, encodeModel } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import { BytePairTokenizer, CharTokenizer } from '@tformer/tokenizer';
import { AdamW, ConstantSchedule, crossEntropy, type DataSource, Trainer } from '@tformer/train';
import type {
  BackendReport,
  FromWorker,
  Inspection,
  ModelReport,
  RunFiles,
  StepReport,
  ToWorker,
} from './protocol.js';
import { loadTask, runTask } from './tasks.js';

type TextTokenizer = CharTokenizer | BytePairTokenizer;

/**
 * Path points of the integrated-gradients view (trapezoid rule: error O(1/m²)). 16 left a 7.7%
 * completeness gap on a wasm model the e2e run had trained longer (Δlogit 3.4; the run length
 * depends on timing): 64 cuts that gap ~16×, for a view of a tiny model.
 */
const IG_STEPS = 64;

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(
    message,
    transfer,
  );

const state: {
  model?: DecoderLM;
  tokenizer?: TextTokenizer;
  origin: string;
  trainer?: Trainer<DecoderLM, Batch>;
  optimizer?: AdamW;
  data?: WindowSource;
  paused: boolean;
  stopping: boolean;
  resume?: () => void;
  training: boolean;
} = { origin: '', paused: false, stopping: false, training: false };

type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };

/**
 * Lets the worker's message queue run. On wasm and cpu `await t.data()` resolves as a microtask,
 * so a loop of steps would otherwise never return to the event loop and pause/stop would wait
 * for the end. A MessageChannel task, unlike setTimeout, is not clamped to 4 ms.
 */
const yieldToMessages = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });

/** Random windows of a token array: x = ids[i, i+T), y = ids[i+1, i+T+1). Seeded, resumable. */
class WindowSource implements DataSource<Batch> {
  #seed: number;
  ids: Int32Array;
  constructor(
    ids: Int32Array,
    readonly batchSize: number,
    readonly length: number,
    seed: number,
  ) {
    this.ids = ids;
    this.#seed = seed >>> 0;
  }
  #next(): number {
    this.#seed = (Math.imul(this.#seed, 1664525) + 1013904223) >>> 0;
    return this.#seed / 2 ** 32;
  }
  next(): Batch {
    const { batchSize: B, length: T } = this;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    const span = this.ids.length - T - 1;
    for (let b = 0; b < B; b++) {
      const i = Math.floor(this.#next() * (span + 1));
      x.set(this.ids.subarray(i, i + T), b * T);
      y.set(this.ids.subarray(i + 1, i + T + 1), b * T);
    }
    return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.tensor2d(y, [B, T], 'int32') };
  }
  state() {
    return this.#seed;
  }
  restore(s: unknown) {
    this.#seed = s as number;
  }
}

function describeModel(): ModelReport {
  const { model, tokenizer } = need();
  return {
    className: 'DecoderLM',
    config: { ...model.getConfig() },
    parameters: decoderLMParameterCount(model.config),
    vocabSize: model.config.vocabSize,
    tokenizer: `${tokenizer instanceof CharTokenizer ? 'char' : 'byte-level BPE'}, ${tokenizer.vocabSize} tokens`,
    origin: state.origin,
  };
}

function need(): { model: DecoderLM; tokenizer: TextTokenizer } {
  if (!state.model || !state.tokenizer) throw new Error('no model yet: train one or load a run');
  return { model: state.model, tokenizer: state.tokenizer };
}

/** Drops the model and everything trained with it. */
function dropModel(): void {
  state.trainer?.dispose();
  state.optimizer?.dispose();
  state.model?.dispose();
  state.trainer = state.optimizer = state.model = state.data = undefined;
}

/** The text as ids of the current tokenizer; characters it lacks are left out (counted). */
function encodeText(tokenizer: TextTokenizer, text: string): Int32Array {
  if (tokenizer instanceof CharTokenizer) {
    const known = [...text].filter((c) => tokenizer.tokenToId(c) !== undefined).join('');
    return Int32Array.from(tokenizer.encode(known));
  }
  return Int32Array.from(tokenizer.encode(text));
}

async function init(backend: string): Promise<BackendReport> {
  const sel = await selectBackend(backend as BackendChoice);
  return {
    name: sel.name,
    reason: sel.reason,
    tried: sel.tried,
    details: JSON.stringify(sel.info.details ?? {}),
  };
}

function newModel(
  text: string,
  m: { dModel: number; numLayers: number; numHeads: number; maxLength: number },
  seed: number,
): ModelReport {
  if ([...text].length < m.maxLength + 2) {
    throw new Error(`the text is too short: it needs more than ${m.maxLength + 1} characters`);
  }
  dropModel();
  const tokenizer = CharTokenizer.fromCorpus(text, { unknown: 'skip' });
  state.tokenizer = tokenizer;
  state.model = new DecoderLM(
    { vocabSize: tokenizer.vocabSize, ...m, dropout: 0, position: 'learned' },
    { rng: seed },
  );
  state.origin = 'new model, char tokenizer learned from the text';
  return describeModel();
}

async function train(
  text: string,
  t: { batchSize: number; learningRate: number; steps: number; seed: number },
): Promise<{ steps: number; stopped: boolean }> {
  const { model, tokenizer } = need();
  if (state.training) throw new Error('already training');
  const ids = encodeText(tokenizer, text);
  const T = model.config.maxLength;
  if (ids.length < T + 2) throw new Error(`the text gives ${ids.length} tokens; it needs ${T + 2}`);
  if (!state.data || state.data.batchSize !== t.batchSize) {
    state.data = new WindowSource(ids, t.batchSize, T, t.seed);
  } else {
    state.data.ids = ids;
  }
  state.optimizer ??= new AdamW(model.namedParameters(), { weightDecay: 0.01 });
  if (!state.trainer) {
    const data = state.data;
    state.trainer = new Trainer<DecoderLM, Batch>({
      model,
      optimizer: state.optimizer,
      schedule: new ConstantSchedule(t.learningRate),
      data: { next: () => data.next(), state: () => data.state(), restore: (s) => data.restore(s) },
      loss: (m, b) => crossEntropy(m.apply(b.x), b.y),
      clipNorm: 1,
      countTokens: (b) => b.x.size,
    });
  }
  const trainer = state.trainer;
  model.train(true);
  state.training = true;
  state.stopping = false;
  let done = 0;
  try {
    while (done < t.steps && !state.stopping) {
      await yieldToMessages();
      if (state.stopping) break;
      if (state.paused) {
        await new Promise<void>((resolve) => {
          state.resume = resolve;
        });
        continue;
      }
      const metrics = await trainer.trainStep();
      if (metrics.skipped) continue;
      done++;
      const step: StepReport = {
        step: metrics.step,
        loss: metrics.loss,
        ms: metrics.milliseconds,
        endedAt: performance.timeOrigin + performance.now(),
        tokensPerSecond: metrics.tokensPerSecond ?? 0,
        numTensors: tf.memory().numTensors,
      };
      post({ type: 'step', step });
    }
  } finally {
    state.training = false;
    state.paused = false;
    model.eval();
  }
  return { steps: done, stopped: state.stopping };
}

async function generateText(r: {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
}): Promise<{ text: string; tokens: number; ms: number; tokensPerSecond: number }> {
  const { model, tokenizer } = need();
  const prompt = Array.from(encodeText(tokenizer, r.prompt || '\n'));
  if (prompt.length === 0) throw new Error('the prompt has no character the tokenizer knows');
  const context = prompt.slice(-model.config.maxLength);
  const produced: number[] = [];
  let shown = '';
  const started = performance.now();
  const stream = generateStream(model, [context], {
    maxNewTokens: r.maxNewTokens,
    doSample: r.temperature > 0,
    temperature: r.temperature > 0 ? r.temperature : 1,
    topK: r.topK > 0 ? r.topK : undefined,
    seed: r.seed,
  });
  for await (const { tokens } of stream) {
    produced.push(tokens[0]!);
    // Decoding the whole tail keeps multi-byte BPE tokens whole.
    const text = tokenizer.decode(produced);
    const tokensPerSecond = produced.length / ((performance.now() - started) / 1000);
    if (text.length > shown.length && !text.endsWith('\uFFFD')) {
      post({ type: 'token', text: text.slice(shown.length), tokensPerSecond });
      shown = text;
    }
  }
  const ms = performance.now() - started;
  const text = tokenizer.decode(produced);
  if (text.length > shown.length)
    post({ type: 'token', text: text.slice(shown.length), tokensPerSecond: 0 });
  return { text, tokens: produced.length, ms, tokensPerSecond: produced.length / (ms / 1000) };
}

async function load(files: RunFiles): Promise<ModelReport> {
  const model = decodeModel(files.modelConfig, new Uint8Array(files.weights), files.source);
  if (!(model instanceof DecoderLM)) {
    const name = model.constructor.name;
    model.dispose();
    throw new Error(
      `${files.source}: a ${name}; the playground runs DecoderLM language models (textgen runs) only`,
    );
  }
  let tokenizer: TextTokenizer;
  try {
    tokenizer = readTokenizer(files.tokenizer);
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (tokenizer.vocabSize > model.config.vocabSize) {
    model.dispose();
    throw new Error(
      `tokenizer.json has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}`,
    );
  }
  dropModel();
  model.eval();
  state.model = model;
  state.tokenizer = tokenizer;
  state.origin = `loaded from ${files.source}`;
  return describeModel();
}

/** textgen's `{ kind: 'char' | 'bpe', tokenizer }`, or a char/BPE tokenizer's own JSON. */
function readTokenizer(json: unknown): TextTokenizer {
  const wrapped = json as { kind?: string; tokenizer?: object };
  if (wrapped && typeof wrapped === 'object' && wrapped.tokenizer && wrapped.kind) {
    if (wrapped.kind === 'char') return CharTokenizer.fromJSON(wrapped.tokenizer);
    if (wrapped.kind === 'bpe') return BytePairTokenizer.fromJSON(wrapped.tokenizer);
    throw new Error(`tokenizer.json: unknown kind '${wrapped.kind}' (expected char or bpe)`);
  }
  const errors: string[] = [];
  for (const read of [CharTokenizer.fromJSON, BytePairTokenizer.fromJSON]) {
    try {
      return read(json as object);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`tokenizer.json is neither a char nor a BPE tokenizer: ${errors.join('; ')}`);
}

async function save(): Promise<{ config: unknown; weights: ArrayBuffer; tokenizer: unknown }> {
  const { model, tokenizer } = need();
  const { config, weights } = await encodeModel(model);
  const copy = weights.slice().buffer;
  return {
    config,
    weights: copy,
    tokenizer: {
      kind: tokenizer instanceof CharTokenizer ? 'char' : 'bpe',
      tokenizer: tokenizer.toJSON(),
    },
  };
}

async function inspect(text: string, requestedTarget: number): Promise<Inspection> {
  const { model, tokenizer } = need();
  const all = Array.from(encodeText(tokenizer, text));
  const ids = all.slice(-model.config.maxLength);
  if (ids.length === 0) throw new Error('the text has no character the tokenizer knows');
  const T = ids.length;
  const target = requestedTarget >= 0 && requestedTarget < T ? requestedTarget : T - 1;
  const wasTraining = model.training;
  model.eval();
  const input = tf.tensor2d(ids, [1, T], 'int32');
  const owned: tf.Tensor[] = [input];
  const maps = attentionMaps(model, input, { kind: 'self' });
  try {
    const weights = maps.select(/\.weights$/) as tf.Tensor4D[]; // per layer [1, H, T, T]
    const probs = tf.tidy(() =>
      tf.softmax(tf.squeeze(tf.slice(model.apply(input), [0, target, 0], [1, 1, -1]))),
    ); // [V]
    const rollout = attentionRollout(weights);
    owned.push(probs, rollout);
    const p = await probs.data();
    let token = 0;
    for (let i = 1; i < p.length; i++) if (p[i]! > p[token]!) token = i;
    const explained = { token, position: target };
    const gxi = gradientTimesInput(model, input, explained); // [1, T]
    owned.push(gxi);
    const ig = await integratedGradients(model, input, explained, { steps: IG_STEPS });
    owned.push(ig.attributions);
    const lens = await logitLens(model, input, { topK: 1 });
    // All reads together, after everything is queued.
    const [attention, rolloutValues, gxiValues, igValues] = await Promise.all([
      Promise.all(weights.map((a) => a.data() as Promise<Float32Array>)),
      rollout.data() as Promise<Float32Array>,
      gxi.data() as Promise<Float32Array>,
      ig.attributions.data() as Promise<Float32Array>,
    ]);
    const H = model.config.numHeads;
    const tokenText = (id: number) => tokenizer.idToToken(id) ?? tokenizer.decode([id]);
    return {
      tokens: ids.map(tokenText),
      attention: attention.map((a) =>
        Array.from({ length: H }, (_, h) => a.slice(h * T * T, (h + 1) * T * T)),
      ),
      rollout: rolloutValues,
      saliency: [
        { method: 'gradient × input', values: gxiValues },
        { method: `integrated gradients (${IG_STEPS} steps, zero baseline)`, values: igValues },
      ],
      target,
      targetToken: tokenText(token),
      targetProbability: p[token]!,
      lens: lens.top.map((layer) => ({
        top: layer.map((position) => tokenText(position[0]!.token)),
        probability: Float32Array.from(layer, (position) => position[0]!.prob),
      })),
      completeness: {
        gap: ig.delta[0]!,
        outputChange: ig.output[0]! - ig.baselineOutput[0]!,
      },
      sources: {
        attention: '@tformer/interpret attentionMaps (the blocks.N.attn.weights hook points)',
        rollout: '@tformer/interpret attentionRollout',
        saliency: '@tformer/interpret gradientTimesInput, integratedGradients',
        lens: '@tformer/interpret logitLens',
      },
    };
  } finally {
    maps.dispose();
    tf.dispose(owned);
    model.train(wasTraining);
  }
}

async function handle(message: ToWorker): Promise<[unknown, Transferable[]?]> {
  switch (message.type) {
    case 'init':
      return [await init(message.backend)];
    case 'loadTask':
      return [loadTask(message.files)];
    case 'runTask':
      return [await runTask(message.text)];
    case 'newModel':
      return [newModel(message.text, message.model, message.seed)];
    case 'train':
      return [await train(message.text, message.train)];
    case 'pause':
      state.paused = true;
      return [undefined];
    case 'resume':
      state.paused = false;
      state.resume?.();
      return [undefined];
    case 'stop':
      state.stopping = true;
      state.paused = false;
      state.resume?.();
      return [undefined];
    case 'generate':
      return [await generateText(message)];
    case 'load':
      return [await load(message.files)];
    case 'save': {
      const saved = await save();
      return [saved, [saved.weights]];
    }
    case 'inspect':
      return [await inspect(message.text, message.target)];
  }
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    const [value, transfer] = await handle(message);
    post({ type: 'ok', id: message.id, value }, transfer);
  } catch (error) {
    const text =
      error instanceof Error ? `${error.name}: ${error.message}` : `error: ${String(error)}`;
    post({ type: 'error', id: message.id, message: text });
  }
};
