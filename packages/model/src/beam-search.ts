import * as tf from '@tensorflow/tfjs-core';
import { BeamState, checkBeamOptions, type Hypothesis } from './beam-state.js';
import { DecoderCache } from './decoder-cache.js';
import type { DecoderLM } from './decoder-lm.js';
import { checkTokens } from './decoder-lm-generate.js';
import type { EncoderDecoder } from './encoder-decoder.js';
import { ModelArgumentError } from './errors.js';
import {
  checkSeq2SeqArguments,
  decodeNext,
  disposeRows,
  encodeSources,
  gatherRows,
} from './seq2seq-generate.js';

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

export type { Hypothesis } from './beam-state.js';

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
 *
 * @example
 * ```ts
 * const [best] = await beamSearch(async (prefixes) => prefixes.map(() => logProbsOfNext), {
 *   numBeams: 4, maxNewTokens: 10, stopTokens: [2],
 * });
 * ```
 */
export async function beamSearch(
  nextLogProbs: NextLogProbs,
  options: BeamSearchOptions,
): Promise<Hypothesis[]> {
  const state = new BeamState(options);
  while (!state.done) {
    const logProbs = await nextLogProbs(
      state.live.map((h) => h.tokens),
      state.live.map((h) => h.parent),
    );
    state.advance((beam) => logProbs[beam]!);
  }
  return state.result();
}

/**
 * Beam search for one source sentence through an {@link EncoderDecoder}: the source is encoded
 * once; with the KV cache (default) each step reorders the cached rows to follow the chosen beams
 * and decodes one token per hypothesis. {@link beamSearchEncoderDecoderBatch} with one source.
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
  return (await beamSearchRows(model, [source], options, 'source'))[0]!;
}

/**
 * Beam search for a batch of source sentences of any lengths through an {@link EncoderDecoder}:
 * the sources are right-padded (with `padTokenId`, default the config's pad id, else 0; the
 * padding is masked) and encoded once; each step decodes the live hypotheses of every unfinished
 * source together, `numBeams` rows per source at most (B × numBeams rows), with the KV cache
 * reordered to follow the chosen beams. A source whose search has ended stops contributing rows.
 * Each source gets the hypotheses {@link beamSearchEncoderDecoder} gives it alone (length penalty
 * and stopping are per source).
 *
 * @example
 * ```ts
 * const [[a], [b]] = await beamSearchEncoderDecoderBatch(model, [[5, 6, 7, 2], [8, 2]], {
 *   startToken: 1, numBeams: 4, maxNewTokens: 20, stopTokens: [2],
 * });
 * ```
 */
export function beamSearchEncoderDecoderBatch(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  options: ModelBeamSearchOptions & { startToken: number; padTokenId?: number },
): Promise<Hypothesis[][]> {
  return beamSearchRows(model, sources, options);
}

async function beamSearchRows(
  model: EncoderDecoder,
  sources: readonly (readonly number[])[],
  options: ModelBeamSearchOptions & { startToken: number; padTokenId?: number },
  sourceName?: string,
): Promise<Hypothesis[][]> {
  const { startToken, useCache = true } = options;
  const pad = checkSeq2SeqArguments(model, sources, options, sourceName);
  checkBeamOptions(options);
  const V = model.config.tgtVocabSize;
  const states = sources.map(() => new BeamState(options));
  const wasTraining = model.training;
  model.eval();
  const encoded = encodeSources(model, sources, pad); // memory [B, S, d], mask [B, S]
  const cache = useCache ? new DecoderCache(model.decoder.numLayers) : undefined;
  // Row of each live source's first hypothesis in the previous step's batch.
  let firstRow = new Map<number, number>();
  // The source of each row, and each row's memory and mask: gathered again (and the cached
  // cross-attention keys/values reordered) only when this layout changes, as sources end or
  // their live counts change; within a source every row reads the same memory.
  let layout = sources.map((_, b) => b).join();
  let rows = encoded;
  try {
    for (;;) {
      const active = states.flatMap((state, b) => (state.done ? [] : [b]));
      if (active.length === 0) break;
      const rowSource: number[] = [];
      const parentRows: number[] = [];
      const targets: number[][] = [];
      const first = new Map<number, number>();
      for (const b of active) {
        first.set(b, rowSource.length);
        for (const h of states[b]!.live) {
          rowSource.push(b);
          parentRows.push(h.parent < 0 ? b : firstRow.get(b)! + h.parent);
          targets.push([startToken, ...h.tokens]);
        }
      }
      const changed = rowSource.join() !== layout;
      if (changed) {
        const previous = rows;
        rows = gatherRows(encoded, rowSource);
        if (previous !== encoded) disposeRows(previous);
        layout = rowSource.join();
      }
      if (cache && cache.length > 0) {
        for (const layer of cache.layers) {
          layer.self.reorder(parentRows);
          if (changed) layer.cross.reorder(parentRows);
        }
      }
      const data = await decodeNext(model, targets, rows.memory, rows.mask, cache, true);
      for (const b of active) {
        const at = first.get(b)!;
        states[b]!.advance((beam) => data.subarray((at + beam) * V, (at + beam + 1) * V));
      }
      firstRow = first;
    }
    return states.map((state) => state.result());
  } finally {
    if (rows !== encoded) disposeRows(rows);
    disposeRows(encoded);
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
