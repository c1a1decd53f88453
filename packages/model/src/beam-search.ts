import * as tf from '@tensorflow/tfjs-core';
import { DecoderCache } from './decoder-cache.js';
import type { DecoderLM } from './decoder-lm.js';
import type { EncoderDecoder } from './encoder-decoder.js';
import { ModelArgumentError } from './errors.js';
import { checkTokens } from './generate.js';
import { checkSeq2SeqArguments, decodeNext, encodeSources } from './seq2seq-generate.js';

export interface BeamSearchOptions {
  /** Hypotheses kept at each step (1 = greedy). */
  numBeams: number;
  /** Tokens to add at most. */
  maxNewTokens: number;
  /**
   * Exponent α of the length normalisation score = Σ log p / length^α (Wu et al. 2016's GNMT;
   * Hugging Face's `length_penalty`): > 0 favours longer outputs, 0 ranks by total log-probability.
   * Default 1.
   */
  lengthPenalty?: number;
  /** A hypothesis ends when it emits one of these. */
  stopTokens?: readonly number[];
  /** How many hypotheses to return, best first (default 1, at most `numBeams`). */
  numReturn?: number;
}

/** {@link BeamSearchOptions} of the model beam searches. */
export interface ModelBeamSearchOptions extends BeamSearchOptions {
  /**
   * Keep each hypothesis' keys/values (reordered as beams are chosen) and run the model on one new
   * token per hypothesis (default true); false reruns every hypothesis' whole sequence each step.
   * Both give the same hypotheses.
   */
  useCache?: boolean;
}

export interface Hypothesis {
  /** The new tokens (a final stop token included). */
  tokens: number[];
  /** Σ log p of the tokens. */
  logProb: number;
  /** `logProb / length^lengthPenalty`, the ranking score. */
  score: number;
}

/**
 * Log-probabilities of the next token for each prefix of new tokens (`[]` at the first step):
 * one array of vocabulary size per prefix, in order. `parents[i]` is the index, in the previous
 * call's `prefixes`, of the hypothesis that `prefixes[i]` extends by its last token (`[-1]` at the
 * first call): a caller holding per-hypothesis state (a KV cache) reorders its rows with it.
 */
export type NextLogProbs = (prefixes: number[][], parents: number[]) => Promise<Float32Array[]>;

/**
 * Beam search (as Hugging Face's `BeamSearchScorer`, without early stopping): each step extends
 * every live hypothesis by every token, keeps the `2·numBeams` best by total log-probability,
 * moves those ending in a stop token to the finished list (scored with the length penalty) and
 * continues with the best `numBeams` others. It ends after `maxNewTokens` steps, or once
 * `numBeams` hypotheses are finished and no live one can still beat the worst of them.
 */
export async function beamSearch(
  nextLogProbs: NextLogProbs,
  options: BeamSearchOptions,
): Promise<Hypothesis[]> {
  const { numBeams, maxNewTokens, lengthPenalty = 1, stopTokens = [] } = options;
  const numReturn = options.numReturn ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1) {
    throw new ModelArgumentError('numBeams', 'an integer ≥ 1', numBeams);
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new ModelArgumentError('maxNewTokens', 'an integer ≥ 1', maxNewTokens);
  }
  if (!Number.isInteger(numReturn) || numReturn < 1 || numReturn > numBeams) {
    throw new ModelArgumentError(
      'numReturn',
      `an integer in [1, numBeams = ${numBeams}]`,
      numReturn,
    );
  }
  const stops = new Set(stopTokens);
  const score = (logProb: number, length: number) => logProb / length ** lengthPenalty;
  let live: { tokens: number[]; logProb: number; parent: number }[] = [
    { tokens: [], logProb: 0, parent: -1 },
  ];
  const finished: Hypothesis[] = [];
  const worstKept = () =>
    finished.length < numBeams
      ? Number.NEGATIVE_INFINITY
      : finished.map((h) => h.score).sort((a, b) => b - a)[numBeams - 1]!;
  for (let step = 0; step < maxNewTokens && live.length > 0; step++) {
    const logProbs = await nextLogProbs(
      live.map((h) => h.tokens),
      live.map((h) => h.parent),
    );
    const candidates: { beam: number; token: number; logProb: number }[] = [];
    live.forEach((h, beam) => {
      logProbs[beam]!.forEach((lp, token) => {
        candidates.push({ beam, token, logProb: h.logProb + lp });
      });
    });
    candidates.sort((a, b) => b.logProb - a.logProb);
    const next: typeof live = [];
    for (const c of candidates.slice(0, 2 * numBeams)) {
      const tokens = [...live[c.beam]!.tokens, c.token];
      if (stops.has(c.token)) {
        finished.push({ tokens, logProb: c.logProb, score: score(c.logProb, tokens.length) });
      } else if (next.length < numBeams) {
        next.push({ tokens, logProb: c.logProb, parent: c.beam });
      }
    }
    live = next;
    // Done when the best live hypothesis, scored at its current length, cannot enter the top.
    const bestLive = live[0];
    if (bestLive && score(bestLive.logProb, bestLive.tokens.length) < worstKept()) break;
  }
  for (const { tokens, logProb } of live) {
    finished.push({ tokens, logProb, score: score(logProb, tokens.length) });
  }
  return finished.sort((a, b) => b.score - a.score).slice(0, numReturn);
}

/**
 * Beam search for one source sentence through an {@link EncoderDecoder}: the source is encoded
 * once (and its memory repeated for each live hypothesis); with the KV cache (default) each step
 * reorders the cached rows to follow the chosen beams and decodes one token per hypothesis.
 *
 * @example
 * ```ts
 * const [best] = await beamSearchEncoderDecoder(model, [5, 6, 7, 2], {
 *   startToken: 1, numBeams: 4, maxNewTokens: 20, stopTokens: [2],
 * });
 * console.log(best!.tokens, best!.score);
 * ```
 */
export async function beamSearchEncoderDecoder(
  model: EncoderDecoder,
  source: readonly number[],
  options: ModelBeamSearchOptions & { startToken: number },
): Promise<Hypothesis[]> {
  const { startToken, useCache = true } = options;
  const pad = checkSeq2SeqArguments(model, [source], options, 'source');
  const V = model.config.tgtVocabSize;
  const wasTraining = model.training;
  model.eval();
  const encoded = encodeSources(model, [source], pad); // memory [1, S, d], mask [1, S]
  // The memory repeated for n hypotheses, made once per live count n.
  const repeated = new Map<number, { memory: tf.Tensor; mask: tf.Tensor | undefined }>();
  const memoryFor = (n: number) => {
    let rows = repeated.get(n);
    if (!rows) {
      rows = tf.tidy(() => {
        const index = tf.zeros([n], 'int32'); // row 0, n times
        const memory = tf.gather(encoded.memory, index, 0); // [n, S, d]
        return encoded.mask
          ? { memory, mask: tf.gather(encoded.mask, index, 0) } // [n, S]
          : { memory, mask: undefined };
      });
      repeated.set(n, rows);
    }
    return rows;
  };
  const cache = useCache ? new DecoderCache(model.decoder.numLayers) : undefined;
  try {
    return await beamSearch(async (prefixes, parents) => {
      const n = prefixes.length;
      if (cache && parents[0]! >= 0) cache.reorder(parents);
      const { memory, mask } = memoryFor(n);
      const targets = prefixes.map((p) => [startToken, ...p]);
      const data = await decodeNext(model, targets, memory, mask, cache, true);
      return splitRows(data, n, V);
    }, options);
  } finally {
    for (const { memory, mask } of repeated.values()) tf.dispose([memory, ...(mask ? [mask] : [])]);
    tf.dispose([encoded.memory, ...(encoded.mask ? [encoded.mask] : [])]);
    cache?.dispose();
    model.train(wasTraining);
  }
}

/**
 * Beam search continuing one prompt with a {@link DecoderLM}. With the KV cache (default) the
 * prompt runs once, then each step reorders the cached rows to follow the chosen beams and runs
 * one token per hypothesis.
 *
 * @example
 * ```ts
 * const [best, second] = await beamSearchDecoderLM(model, [1, 2, 3], {
 *   numBeams: 4, maxNewTokens: 10, numReturn: 2,
 * });
 * ```
 */
export async function beamSearchDecoderLM(
  model: DecoderLM,
  prompt: readonly number[],
  options: ModelBeamSearchOptions,
): Promise<Hypothesis[]> {
  const { useCache = true } = options;
  if (prompt.length === 0) throw new ModelArgumentError('prompt', 'at least one token', 0);
  checkTokens('prompt', prompt, model.config.vocabSize);
  if (prompt.length + options.maxNewTokens > model.config.maxLength) {
    throw new ModelArgumentError(
      'maxNewTokens',
      `prompt length + maxNewTokens ≤ maxLength ${model.config.maxLength}`,
      prompt.length + options.maxNewTokens,
    );
  }
  const V = model.config.vocabSize;
  const wasTraining = model.training;
  model.eval();
  const cache = useCache ? new DecoderCache(model.config.numLayers) : undefined;
  try {
    return await beamSearch(async (prefixes, parents) => {
      const n = prefixes.length;
      if (cache && parents[0]! >= 0) cache.reorder(parents);
      // Without a cache every step runs the whole sequence; with it, the columns not cached yet
      // (the prompt at the first step, then each hypothesis' last token).
      const from = cache?.length ?? 0;
      const T = prompt.length + prefixes[0]!.length - from;
      const ids = prefixes.flatMap((p) => [...prompt, ...p].slice(from));
      const logProbs = tf.tidy(() => {
        const h = model.hidden(tf.tensor2d(ids, [n, T], 'int32'), { cache }); // [n, T, C]
        const logits = model.logits(tf.slice(h, [0, T - 1, 0], [n, 1, -1])); // [n, 1, V]
        return tf.logSoftmax(tf.squeeze(logits, [1])); // [n, V]
      });
      const data = (await logProbs.data()) as Float32Array;
      logProbs.dispose();
      return splitRows(data, n, V);
    }, options);
  } finally {
    cache?.dispose();
    model.train(wasTraining);
  }
}

function splitRows(data: Float32Array, n: number, V: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => data.slice(i * V, (i + 1) * V));
}
