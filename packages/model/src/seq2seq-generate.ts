import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@tformer/nn';
import { DecoderCache } from './decoder-cache.js';
import { checkTokens, collectTokens, type GenerationStep } from './decoder-lm-generate.js';
import type { EncoderDecoder } from './encoder-decoder.js';
import { ModelArgumentError } from './errors.js';
import { checkSamplingOptions, chooseToken, type SamplingOptions } from './sampling.js';

export interface Seq2SeqGenerateOptions extends SamplingOptions {
  /** The token every target starts with (BOS, Hugging Face's `decoder_start_token_id`). */
  startToken: number;
  /** How many tokens to add at most (per row), at most the model's `maxLength`. */
  maxNewTokens: number;
  /** Generation of a row ends after it emits one of these (the stop token is kept). */
  stopTokens?: readonly number[];
  /** Seed of the sampling generator: the same seed gives the same tokens. Default random. */
  seed?: number;
  /**
   * Reuse the decoder's self-attention keys/values of earlier target positions (default true);
   * false runs the decoder over the whole target prefix at every step (same tokens, slower).
   */
  useCache?: boolean;
  /**
   * Id that right-pads shorter sources of a batch; the padding is masked out of the encoder and
   * of cross-attention, so a row gives the same tokens in a batch as alone. Default the model's
   * `config.padTokenId`, else 0; it must equal `config.padTokenId` when the config sets one.
   */
  padTokenId?: number;
}

/**
 * Autoregressive generation from an {@link EncoderDecoder}, streamed one step at a time (as
 * Hugging Face's `generate()` on a seq2seq model): the sources (a batch of any lengths, right-
 * padded and masked) are encoded once, then every target starts with `startToken` and each step
 * picks one token per row — greedy, or sampled with temperature, top-k, top-p and the repetition
 * penalty (over the target tokens generated so far). With the KV cache (default) each step runs
 * the decoder on one new position. A row that has emitted a stop token yields -1 afterwards and
 * leaves the batch (its cache rows are dropped), so finished rows cost nothing.
 *
 * @example
 * ```ts
 * const opts = { startToken: 1, maxNewTokens: 10, stopTokens: [2], doSample: true, seed: 7 };
 * for await (const { tokens } of generateSeq2SeqStream(model, [[5, 6, 7], [8, 9]], opts)) {
 *   console.log(tokens); // one new token per source, -1 once a row has stopped
 * }
 * ```
 */
export async function* generateSeq2SeqStream(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  options: Seq2SeqGenerateOptions,
): AsyncGenerator<GenerationStep> {
  const { startToken, maxNewTokens, stopTokens = [], useCache = true } = options;
  const padTokenId = checkSeq2SeqArguments(model, sources, options);
  checkSamplingOptions(options);
  const rng = createRng(options.seed);
  const targets = sources.map(() => [startToken]); // decoder inputs: start + tokens so far
  const history = sources.map((): number[] => []); // generated tokens, for the penalty
  const done = sources.map(() => false);
  const stops = new Set(stopTokens);
  const V = model.config.tgtVocabSize;
  const wasTraining = model.training;
  model.eval();
  const encoded = encodeSources(model, sources, padTokenId); // memory [B, S, d], mask [B, S]
  // The rows still generating, and the memory/mask of exactly those rows (finished rows leave
  // the batch, and the KV cache, so they cost nothing in later steps).
  let active = sources.map((_, b) => b);
  let rows = encoded;
  const cache = useCache ? new DecoderCache(model.decoder.numLayers) : undefined;
  try {
    for (let step = 0; step < maxNewTokens && active.length > 0; step++) {
      const activeTargets = active.map((b) => targets[b]!);
      const logits = await decodeNext(model, activeTargets, rows.memory, rows.mask, cache, false);
      const tokens = sources.map(() => -1);
      active.forEach((b, i) => {
        const token = chooseToken(logits.subarray(i * V, (i + 1) * V), history[b]!, options, rng);
        history[b]!.push(token);
        targets[b]!.push(token);
        tokens[b] = token;
        if (stops.has(token)) done[b] = true;
      });
      yield { step, tokens, done: [...done] };
      const keep = active.flatMap((b, i) => (done[b] ? [] : [i]));
      if (keep.length < active.length && keep.length > 0) {
        cache?.reorder(keep);
        const previous = rows;
        rows = gatherRows(
          encoded,
          keep.map((i) => active[i]!),
        );
        if (previous !== encoded) disposeRows(previous);
      }
      active = keep.map((i) => active[i]!);
    }
  } finally {
    if (rows !== encoded) disposeRows(rows);
    disposeRows(encoded);
    cache?.dispose();
    model.train(wasTraining);
  }
}

/** Rows `sources` of an encoded batch (new tensors the caller owns). */
export function gatherRows(
  encoded: { memory: tf.Tensor; mask: tf.Tensor | undefined },
  sources: readonly number[],
): { memory: tf.Tensor; mask: tf.Tensor | undefined } {
  return tf.tidy(() => {
    const index = tf.tensor1d([...sources], 'int32'); // [n]
    const memory = tf.gather(encoded.memory, index, 0); // [n, S, d]
    return encoded.mask
      ? { memory, mask: tf.gather(encoded.mask, index, 0) } // [n, S]
      : { memory, mask: undefined };
  });
}

export function disposeRows({
  memory,
  mask,
}: {
  memory: tf.Tensor;
  mask: tf.Tensor | undefined;
}): void {
  tf.dispose([memory, ...(mask ? [mask] : [])]);
}

/**
 * All new tokens per source (stop tokens included), collected from {@link generateSeq2SeqStream}.
 *
 * @example
 * ```ts
 * const [a, b] = await generateSeq2Seq(model, [[5, 6, 7], [8, 9]], { startToken: 1, maxNewTokens: 8 });
 * ```
 */
export async function generateSeq2Seq(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  options: Seq2SeqGenerateOptions,
): Promise<number[][]> {
  return collectTokens(sources.length, generateSeq2SeqStream(model, sources, options));
}

/**
 * Encodes right-padded sources once: the memory `[B, S, d]` and the key mask `[B, S]` that hides
 * the padding (and the config's pad id, as `model.apply` does), undefined when nothing is masked.
 * The caller owns both tensors.
 */
export function encodeSources(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  padTokenId: number,
): { memory: tf.Tensor; mask: tf.Tensor | undefined } {
  const B = sources.length;
  const S = Math.max(...sources.map((s) => s.length));
  return tf.tidy(() => {
    const ids = sources.flatMap((s) => [...s, ...Array<number>(S - s.length).fill(padTokenId)]);
    const src = tf.tensor2d(ids, [B, S], 'int32');
    let mask = model.keyMask(src); // [B, S] bool, or undefined without a config pad id
    if (sources.some((s) => s.length < S)) {
      // Mask by length, so padding is hidden even when the config has no pad id.
      const real = sources.flatMap((s) => Array.from({ length: S }, (_, j) => j < s.length));
      const byLength = tf.tensor2d(real, [B, S], 'bool'); // [B, S]
      mask = mask ? tf.logicalAnd(mask, byLength) : byLength;
    }
    const memory = model.encode(src, mask); // [B, S, d]
    return mask ? { memory, mask } : { memory, mask: undefined };
  });
}

/**
 * Next-token logits (or log-probabilities) `[n·V]` after each row of `targets` (`n` rows of
 * equal length, starting with the start token), read to the CPU. With `cache` (holding the first
 * `cache.length` columns) only the new columns run; without, the decoder runs over the whole
 * prefix, through a throw-away cache so that no target id is masked as padding (as in the cached
 * path: a start token equal to the pad id must not hide the target).
 */
export async function decodeNext(
  model: EncoderDecoder,
  targets: readonly (readonly number[])[],
  memory: tf.Tensor,
  mask: tf.Tensor | undefined,
  cache: DecoderCache | undefined,
  normalize: boolean,
): Promise<Float32Array> {
  const n = targets.length;
  const from = cache?.length ?? 0;
  const T = targets[0]!.length - from;
  const scratch = cache ? undefined : new DecoderCache(model.decoder.numLayers);
  try {
    const out = tf.tidy(() => {
      const ids = tf.tensor2d(
        targets.flatMap((t) => t.slice(from)),
        [n, T],
        'int32',
      ); // [n, T]
      const logits = model.decode(ids, memory, mask, cache ?? scratch); // [n, T, V]
      const last = tf.squeeze(tf.slice(logits, [0, T - 1, 0], [n, 1, -1]), [1]); // [n, V]
      return normalize ? tf.logSoftmax(last) : last;
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  } finally {
    scratch?.dispose();
  }
}

/**
 * Checks sources, `startToken`, `stopTokens` and the lengths against the model (and
 * `maxNewTokens` when given); returns the pad id shorter sources are filled with. Errors name
 * `sources[b]`, or `sourceName` (a single source, as beam search takes).
 */
export function checkSeq2SeqArguments(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  options: {
    startToken: number;
    maxNewTokens?: number;
    stopTokens?: readonly number[];
    padTokenId?: number;
  },
  sourceName?: string,
): number {
  const { srcVocabSize, tgtVocabSize, maxLength } = model.config;
  const { startToken, maxNewTokens, stopTokens = [] } = options;
  if (maxNewTokens !== undefined) {
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
      throw new ModelArgumentError('maxNewTokens', 'an integer ≥ 0', maxNewTokens);
    }
    // The last step reads start + maxNewTokens − 1 target positions.
    if (maxNewTokens > maxLength) {
      throw new ModelArgumentError('maxNewTokens', `at most maxLength ${maxLength}`, maxNewTokens);
    }
  }
  if (sources.length === 0) throw new ModelArgumentError('sources', 'at least one source', 0);
  sources.forEach((s, b) => {
    const name = sourceName ?? `sources[${b}]`;
    if (s.length === 0) throw new ModelArgumentError(name, 'at least one token', 0);
    if (s.length > maxLength) {
      throw new ModelArgumentError(name, `at most maxLength ${maxLength} tokens`, s.length);
    }
    checkTokens(name, s, srcVocabSize);
  });
  if (!Number.isInteger(startToken) || startToken < 0 || startToken >= tgtVocabSize) {
    throw new ModelArgumentError('startToken', `a token id in [0, ${tgtVocabSize})`, startToken);
  }
  checkTokens('stopTokens', stopTokens, tgtVocabSize);
  const configPad = model.config.padTokenId;
  const pad = options.padTokenId ?? configPad ?? 0;
  if (configPad !== undefined && pad !== configPad) {
    throw new ModelArgumentError('padTokenId', `the model's config.padTokenId ${configPad}`, pad);
  }
  checkTokens('padTokenId', [pad], srcVocabSize);
  return pad;
}
