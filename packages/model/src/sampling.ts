import type { Rng } from '@tformer/nn';
import { ModelArgumentError } from './errors.js';

/** How the next token is chosen from the logits of the last position. */
export interface SamplingOptions {
  /** Sample (true) or take the most likely token (false, the default: greedy). */
  doSample?: boolean;
  /** Divides the logits before sampling: < 1 sharper, > 1 flatter. Default 1. */
  temperature?: number;
  /** Sample among the `topK` most likely tokens only (Fan et al. 2018). */
  topK?: number;
  /** Nucleus sampling (Holtzman et al. 2020): the smallest set whose probability reaches `topP`. */
  topP?: number;
  /**
   * CTRL's repetition penalty (Keskar et al. 2019): the logit of every token already in the
   * sequence is divided by it when positive and multiplied when negative. Default 1 (none).
   */
  repetitionPenalty?: number;
}

/** Checks the sampling options once, naming the first that is out of its domain. */
export function checkSamplingOptions(o: SamplingOptions): void {
  const { temperature = 1, topK, topP, repetitionPenalty = 1 } = o;
  if (!(temperature > 0)) throw new ModelArgumentError('temperature', 'a number > 0', temperature);
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    throw new ModelArgumentError('topK', 'an integer ≥ 1', topK);
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new ModelArgumentError('topP', 'a number in (0, 1]', topP);
  }
  if (!(repetitionPenalty > 0)) {
    throw new ModelArgumentError('repetitionPenalty', 'a number > 0', repetitionPenalty);
  }
}

/** Applies the repetition penalty in place to `logits` for every token of `history`. */
export function applyRepetitionPenalty(
  logits: Float32Array,
  history: Iterable<number>,
  penalty: number,
): void {
  if (penalty === 1) return;
  for (const t of new Set(history)) {
    const l = logits[t]!;
    logits[t] = l > 0 ? l / penalty : l * penalty;
  }
}

/** The index of the largest logit (the first on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * The sampling distribution after temperature, top-k and top-p: probabilities over the
 * vocabulary, zero outside the kept set, summing to 1.
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const { temperature = 1, topK, topP } = o;
  const n = logits.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]!);
  let keep = topK === undefined ? n : Math.min(topK, n);
  const max = logits[order[0]!]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < keep; r++) {
    const i = order[r]!;
    sum += probs[i] = Math.exp((logits[i]! - max) / temperature);
  }
  if (topP !== undefined) {
    // Keep the most likely tokens until their mass reaches topP (at least one).
    let mass = 0;
    let r = 0;
    while (r < keep && mass < topP * sum) mass += probs[order[r++]!]!;
    for (let k = Math.max(r, 1); k < keep; k++) probs[order[k]!] = 0;
    keep = Math.max(r, 1);
    sum = 0;
    for (let k = 0; k < keep; k++) sum += probs[order[k]!]!;
  }
  for (let i = 0; i < n; i++) probs[i]! /= sum;
  return probs;
}

/** Draws an index from `probs` (summing to 1) with `rng`. */
export function sampleIndex(probs: ArrayLike<number>, rng: Rng): number {
  const u = rng.uniform();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! <= 0) continue;
    last = i;
    acc += probs[i]!;
    if (u < acc) return i;
  }
  return last; // rounding left u just above the total
}

/** Picks the next token from one row's logits (modified in place by the repetition penalty). */
export function chooseToken(
  logits: Float32Array,
  history: readonly number[],
  o: SamplingOptions,
  rng: Rng,
): number {
  applyRepetitionPenalty(logits, history, o.repetitionPenalty ?? 1);
  if (!o.doSample) return argmax(logits);
  return sampleIndex(samplingDistribution(logits, o), rng);
}
