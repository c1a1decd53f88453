import { ModelArgumentError } from './errors.js';

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
 * one array of vocabulary size per prefix, in order.
 */
export type NextLogProbs = (prefixes: number[][]) => Promise<Float32Array[]>;

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
  let live: { tokens: number[]; logProb: number }[] = [{ tokens: [], logProb: 0 }];
  const finished: Hypothesis[] = [];
  const worstKept = () =>
    finished.length < numBeams
      ? Number.NEGATIVE_INFINITY
      : finished.map((h) => h.score).sort((a, b) => b - a)[numBeams - 1]!;
  for (let step = 0; step < maxNewTokens && live.length > 0; step++) {
    const logProbs = await nextLogProbs(live.map((h) => h.tokens));
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
        next.push({ tokens, logProb: c.logProb });
      }
    }
    live = next;
    // Done when the best live hypothesis, scored at its current length, cannot enter the top.
    const bestLive = live[0];
    if (bestLive && score(bestLive.logProb, bestLive.tokens.length) < worstKept()) break;
  }
  for (const h of live) finished.push({ ...h, score: score(h.logProb, h.tokens.length) });
  return finished.sort((a, b) => b.score - a.score).slice(0, numReturn);
}
