import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@tformer/nn';
import { DecodeStep } from './decode-step.js';
import { DecoderCache } from './decoder-cache.js';
import type { DecoderLM } from './decoder-lm.js';
import { ModelArgumentError } from './errors.js';
import { checkSamplingOptions, chooseToken, type SamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to add at most (per row). */
  maxNewTokens: number;
  /** Generation of a row ends after it emits one of these (the stop token is kept). */
  stopTokens?: readonly number[];
  /** Seed of the sampling generator: the same seed gives the same tokens. Default random. */
  seed?: number;
  /** Reuse keys/values of earlier positions (default true); false recomputes every step. */
  useCache?: boolean;
  /** Id used to left-pad shorter prompts of a batch (default 0); padding is masked out. */
  padTokenId?: number;
  /**
   * Once the context is full (`maxLength` tokens): `crop` recomputes the latest `maxLength`
   * tokens at every step with positions from 0, as nanoGPT's `generate` (the default for
   * `learned` and `sinusoidal` positions, which end at `maxLength`); `slide` keeps a rolling
   * cache of the latest `min(window, maxLength)` keys/values and goes on one position per step
   * (the default for `rope` and `alibi`, whose attention depends on relative positions only).
   * Sliding gives what the model computes over the whole sequence with a sliding window of
   * `window` (or of `maxLength` without one), not what a cropped recomputation gives: in a
   * cropped window the earliest tokens lose their own past. Without the cache, always `crop`.
   */
  contextOverflow?: 'crop' | 'slide';
  /**
   * Run each cached step with the one-token decoding path (default true): weights rearranged
   * once per call, ~110 kernels per token on the `baby` config. false runs the model's layers
   * (`DecoderLM.hidden`) at every step instead; both give the same values up to float32 rounding.
   */
  fusedStep?: boolean;
}

/** One step of {@link generateStream}: the token each row emitted (-1 once a row has stopped). */
export interface GenerationStep {
  step: number;
  tokens: number[];
  /** Rows that have emitted a stop token (at this step or before). */
  done: boolean[];
}

/**
 * Autoregressive generation from a {@link DecoderLM}, streamed one step at a time. `prompts` is a
 * batch of token-id prompts of any lengths: shorter ones are left-padded, the padding is masked
 * out of attention and each row's positions start at its first real token, so a row gives the
 * same tokens in a batch as alone. With the KV cache (default) each step runs the model on one
 * new position (see {@link GenerateOptions.fusedStep}); once the context is full (`maxLength`)
 * it crops and recomputes as nanoGPT's `generate`, or slides a rolling cache (see
 * {@link GenerateOptions.contextOverflow}). Tensors are freed at every step.
 *
 * @example
 * ```ts
 * for await (const { tokens } of generateStream(model, [[1, 2, 3]], { maxNewTokens: 10 })) {
 *   process.stdout.write(String(tokens[0]));
 * }
 * ```
 */
export async function* generateStream(
  model: DecoderLM,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): AsyncGenerator<GenerationStep> {
  const { maxNewTokens, stopTokens = [], useCache = true, padTokenId = 0 } = options;
  checkGenerateArguments(model, prompts, options);
  checkSamplingOptions(options);
  const rng = createRng(options.seed);
  const width = Math.max(...prompts.map((p) => p.length));
  const pads = prompts.map((p) => width - p.length);
  // Rows are left-padded so every row's next token sits in the last column.
  const rows = prompts.map((p, b) => [...Array<number>(pads[b]!).fill(padTokenId), ...p]);
  const history = prompts.map((p) => [...p]);
  const done = prompts.map(() => false);
  const stops = new Set(stopTokens);
  const wasTraining = model.training;
  model.eval();
  const L = model.config.maxLength;
  const slide = overflowMode(model, options.contextOverflow) === 'slide';
  // The most keys one new token attends to: its window, else the whole context.
  const span = Math.min(model.config.window || L, L);
  const cache = useCache ? new DecoderCache(model.config.numLayers) : undefined;
  const fast = cache && (options.fusedStep ?? true) ? new DecodeStep(model) : undefined;
  let cached = 0; // columns of `rows` already run through the cache
  /** Runs column `c` through the cache, dropping keys the new token cannot see. */
  const extend = async (c: number, kv: DecoderCache): Promise<Float32Array> => {
    kv.keepLast(span - 1);
    if (!fast) return nextLogits(model, rows, pads, c, c + 1, kv);
    const first = c - kv.length; // the column of the oldest cached key
    const logits = fast.logits(
      {
        ids: rows.map((row) => row[c]!),
        positions: pads.map((p) => Math.max(0, c - p)),
        visible: pads.some((p) => p > first) ? (b, j) => first + j >= pads[b]! : undefined,
      },
      kv,
    );
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    return data;
  };
  try {
    for (let step = 0; step < maxNewTokens && !done.every(Boolean); step++) {
      const total = rows[0]!.length;
      let logits: Float32Array | undefined;
      if (!cache || (!slide && total > L)) {
        cache?.dispose(); // emptied; a cropped window restarts its positions at every step
        cached = 0;
        logits = await nextLogits(model, rows, pads, Math.max(0, total - L), total);
      } else {
        if (cached === 0) {
          cached = Math.min(total, L); // a longer prompt (sliding) goes on column by column
          logits = await nextLogits(model, rows, pads, 0, cached, cache);
        }
        for (; cached < total; cached++) logits = await extend(cached, cache);
      }
      const V = model.config.vocabSize;
      const tokens = rows.map((_, b) => {
        if (done[b]) return -1;
        const token = chooseToken(logits!.subarray(b * V, (b + 1) * V), history[b]!, options, rng);
        history[b]!.push(token);
        if (stops.has(token)) done[b] = true;
        return token;
      });
      // A finished row keeps growing with padding so the batch stays rectangular.
      rows.forEach((row, b) => {
        row.push(tokens[b]! < 0 ? padTokenId : tokens[b]!);
      });
      yield { step, tokens, done: [...done] };
    }
  } finally {
    fast?.dispose();
    cache?.dispose();
    model.train(wasTraining);
  }
}

/** All new tokens per row (stop tokens included), collected from {@link generateStream}. */
export async function generate(
  model: DecoderLM,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<number[][]> {
  return collectTokens(prompts.length, generateStream(model, prompts, options));
}

/** Each row's tokens from a generation stream (the −1 of stopped rows left out). */
export async function collectTokens(
  rows: number,
  stream: AsyncIterable<GenerationStep>,
): Promise<number[][]> {
  const out = Array.from({ length: rows }, (): number[] => []);
  for await (const { tokens } of stream) {
    tokens.forEach((t, b) => {
      if (t >= 0) out[b]!.push(t);
    });
  }
  return out;
}

/**
 * Logits `[B·V]` of the last column, running columns `from … to−1` of `rows` (the latest earlier
 * ones being in `cache`, if given). Padding columns are masked and positions count real tokens
 * only, from the row's first real token (with a cache) or the window's first column (cropped).
 */
async function nextLogits(
  model: DecoderLM,
  rows: number[][],
  pads: number[],
  from: number,
  to: number,
  cache?: DecoderCache,
): Promise<Float32Array> {
  const B = rows.length;
  const T = to - from;
  const first = from - (cache?.length ?? 0); // the first column attention sees
  const S = to - first;
  const ids = rows.flatMap((row) => row.slice(from, to));
  // Real tokens of row b start at column pads[b]; earlier columns are padding. A row's first
  // real token is position 0, and so is a cropped window's first column (as nanoGPT's).
  const positions = rows.flatMap((_, b) =>
    Array.from({ length: T }, (_, t) => {
      const zero = cache ? pads[b]! : Math.max(pads[b]!, first);
      return Math.max(0, from + t - zero);
    }),
  );
  const mask = rows.flatMap((_, b) =>
    Array.from({ length: S }, (_, j) => (first + j >= pads[b]! ? 1 : 0)),
  );
  const logits = tf.tidy(() => {
    const h = model.hidden(tf.tensor2d(ids, [B, T], 'int32'), {
      cache,
      positions: tf.tensor2d(positions, [B, T], 'int32'),
      mask: pads.some((p) => p > 0) ? tf.tensor2d(mask, [B, S], 'int32') : undefined,
    }); // [B, T, C]
    const last = tf.slice(h, [0, T - 1, 0], [B, 1, -1]); // [B, 1, C]
    return model.logits(last); // [B, 1, V]
  });
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  return data;
}

/** `slide` or `crop` (see {@link GenerateOptions.contextOverflow}), checked against the model. */
function overflowMode(model: DecoderLM, requested: string | undefined): 'crop' | 'slide' {
  const { position } = model.config;
  const relative = position === 'rope' || position === 'alibi';
  if (requested === undefined) return relative ? 'slide' : 'crop';
  if (requested !== 'crop' && requested !== 'slide') {
    throw new ModelArgumentError('contextOverflow', "'crop' or 'slide'", requested);
  }
  if (requested === 'slide' && !relative) {
    throw new ModelArgumentError(
      'contextOverflow',
      `'crop' for ${position} positions (they end at maxLength ${model.config.maxLength})`,
      requested,
    );
  }
  return requested;
}

function checkGenerateArguments(
  model: DecoderLM,
  prompts: readonly (readonly number[])[],
  { maxNewTokens }: GenerateOptions,
): void {
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new ModelArgumentError('maxNewTokens', 'an integer ≥ 0', maxNewTokens);
  }
  if (prompts.length === 0) throw new ModelArgumentError('prompts', 'at least one prompt', 0);
  const V = model.config.vocabSize;
  prompts.forEach((p, b) => {
    if (p.length === 0) throw new ModelArgumentError(`prompts[${b}]`, 'at least one token', 0);
    checkTokens(`prompts[${b}]`, p, V);
  });
}

/** Checks the ids `tokens` against `[0, vocab)`, naming the argument. */
export function checkTokens(argument: string, tokens: readonly number[], vocab: number): void {
  const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= vocab);
  if (bad !== undefined) {
    throw new ModelArgumentError(argument, `token ids in [0, ${vocab})`, bad);
  }
}
