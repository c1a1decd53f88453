import * as tf from '@tensorflow/tfjs-core';
import { type BeamSearchOptions, beamSearch, type Hypothesis } from './beam-search.js';
import type { DecoderLM } from './decoder-lm.js';
import type { EncoderDecoder } from './encoder-decoder.js';
import { ModelArgumentError } from './errors.js';
import { KVCache } from './kv-cache.js';
import { argmax } from './sampling.js';

export interface Seq2SeqGreedyOptions {
  /** The token every target starts with (BOS). */
  startToken: number;
  maxNewTokens: number;
  /** A row ends after emitting one of these (kept in the output). */
  stopTokens?: readonly number[];
}

/**
 * Greedy decoding of an {@link EncoderDecoder} for a batch of equal-length (or `padTokenId`-
 * padded) sources: encodes once, then decodes one token per step with the self-attention KV
 * cache. Returns each row's new tokens (after `startToken`).
 */
export async function greedyDecode(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  { startToken, maxNewTokens, stopTokens = [] }: Seq2SeqGreedyOptions,
): Promise<number[][]> {
  const S = sources[0]?.length ?? 0;
  if (S === 0 || sources.some((s) => s.length !== S)) {
    throw new ModelArgumentError(
      'sources',
      'non-empty rows of equal length (pad them)',
      sources.map((s) => s.length),
    );
  }
  const B = sources.length;
  const wasTraining = model.training;
  model.eval();
  const src = tf.tensor2d(sources.flat(), [B, S], 'int32');
  const srcMask = model.keyMask(src);
  const memory = model.encode(src, srcMask);
  const cache = new KVCache(model.decoder.numLayers);
  const out = sources.map((): number[] => []);
  const done = sources.map(() => false);
  const stops = new Set(stopTokens);
  let last = sources.map(() => startToken);
  try {
    for (let step = 0; step < maxNewTokens && !done.every(Boolean); step++) {
      const logits = tf.tidy(() =>
        model.decode(tf.tensor2d(last, [B, 1], 'int32'), memory, srcMask, cache),
      );
      const data = (await logits.data()) as Float32Array;
      logits.dispose();
      const V = model.config.tgtVocabSize;
      last = last.map((prev, b) => {
        if (done[b]) return prev;
        const token = argmax(data.subarray(b * V, (b + 1) * V));
        out[b]!.push(token);
        if (stops.has(token)) done[b] = true;
        return token;
      });
    }
  } finally {
    tf.dispose([src, memory, ...(srcMask ? [srcMask] : [])]);
    cache.dispose();
    model.train(wasTraining);
  }
  return out;
}

/**
 * Beam search for one source sentence through an {@link EncoderDecoder}: the source is encoded
 * once and each step scores every live hypothesis (recomputing its decoder pass).
 */
export async function beamSearchEncoderDecoder(
  model: EncoderDecoder,
  source: readonly number[],
  options: BeamSearchOptions & { startToken: number },
): Promise<Hypothesis[]> {
  const wasTraining = model.training;
  model.eval();
  const src = tf.tensor2d([...source], [1, source.length], 'int32');
  const srcMask = model.keyMask(src);
  const memory = model.encode(src, srcMask);
  try {
    return await beamSearch(async (prefixes) => {
      const n = prefixes.length;
      const T = prefixes[0]!.length + 1;
      const ids = prefixes.flatMap((p) => [options.startToken, ...p]);
      const logProbs = tf.tidy(() => {
        const mem = tf.tile(memory, [n, 1, 1]); // [n, S, d]: one copy per hypothesis
        const mask = srcMask ? tf.tile(srcMask, [n, 1]) : undefined;
        const logits = model.decode(tf.tensor2d(ids, [n, T], 'int32'), mem, mask); // [n, T, V]
        return tf.logSoftmax(tf.squeeze(tf.slice(logits, [0, T - 1, 0], [n, 1, -1]), [1])); // [n, V]
      });
      return splitRows(logProbs);
    }, options);
  } finally {
    tf.dispose([src, memory, ...(srcMask ? [srcMask] : [])]);
    model.train(wasTraining);
  }
}

/** Beam search continuing one prompt with a {@link DecoderLM} (each step recomputes every beam). */
export async function beamSearchDecoderLM(
  model: DecoderLM,
  prompt: readonly number[],
  options: BeamSearchOptions,
): Promise<Hypothesis[]> {
  if (prompt.length + options.maxNewTokens > model.config.blockSize) {
    throw new ModelArgumentError(
      'maxNewTokens',
      `prompt length + maxNewTokens ≤ blockSize ${model.config.blockSize}`,
      prompt.length + options.maxNewTokens,
    );
  }
  const wasTraining = model.training;
  model.eval();
  try {
    return await beamSearch(async (prefixes) => {
      const n = prefixes.length;
      const T = prompt.length + prefixes[0]!.length;
      const ids = prefixes.flatMap((p) => [...prompt, ...p]);
      const logProbs = tf.tidy(() => {
        const h = model.hidden(tf.tensor2d(ids, [n, T], 'int32')); // [n, T, C]
        const logits = model.logits(tf.slice(h, [0, T - 1, 0], [n, 1, -1])); // [n, 1, V]
        return tf.logSoftmax(tf.squeeze(logits, [1])); // [n, V]
      });
      return splitRows(logProbs);
    }, options);
  } finally {
    model.train(wasTraining);
  }
}

async function splitRows(t: tf.Tensor): Promise<Float32Array[]> {
  const [n, V] = t.shape as [number, number];
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return Array.from({ length: n }, (_, i) => data.slice(i * V, (i + 1) * V));
}
