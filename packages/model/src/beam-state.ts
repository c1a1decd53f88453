import { ModelArgumentError } from './errors.js';

export interface BeamStateOptions {
  numBeams: number;
  maxNewTokens: number;
  lengthPenalty?: number;
  stopTokens?: readonly number[];
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

/** A live hypothesis: `parent` is its index in the previous step's live list (-1 at the start). */
export interface LiveHypothesis {
  tokens: number[];
  logProb: number;
  parent: number;
}

/** Checks the beam options; returns `numReturn` (default 1). */
export function checkBeamOptions(options: BeamStateOptions): number {
  const { numBeams, maxNewTokens } = options;
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
  return numReturn;
}

/**
 * The beam search of one sequence, a step at a time, so that several sequences can share one
 * batched model call per step. Each {@link BeamState.advance} extends every live hypothesis by
 * every token, keeps the `2·numBeams` best by total log-probability (ties: the earlier hypothesis,
 * then the lower token id, as a stable sort of all candidates), moves those ending in a stop token
 * to the finished list and continues with the best `numBeams` others. The search is {@link done}
 * after `maxNewTokens` steps, or once `numBeams` hypotheses are finished and the best live one,
 * scored at its current length, cannot beat the worst of them.
 */
export class BeamState {
  live: LiveHypothesis[] = [{ tokens: [], logProb: 0, parent: -1 }];
  readonly #finished: Hypothesis[] = [];
  readonly #options: BeamStateOptions;
  readonly #stops: Set<number>;
  readonly #lengthPenalty: number;
  #step = 0;
  #stopped = false;

  constructor(options: BeamStateOptions) {
    checkBeamOptions(options);
    this.#options = options;
    this.#stops = new Set(options.stopTokens ?? []);
    this.#lengthPenalty = options.lengthPenalty ?? 1;
  }

  get done(): boolean {
    return this.#stopped || this.#step >= this.#options.maxNewTokens || this.live.length === 0;
  }

  #score(logProb: number, length: number): number {
    return logProb / length ** this.#lengthPenalty;
  }

  /** One step: `logProbs(beam)` is the next-token log-probabilities after `live[beam]`. */
  advance(logProbs: (beam: number) => Float32Array): void {
    const { numBeams } = this.#options;
    const k = 2 * numBeams;
    // The global top k under (total desc, beam asc, token asc) are each in their beam's top k
    // under the same order, so only those are merged and sorted (not every beam × token).
    const candidates: { beam: number; token: number; logProb: number }[] = [];
    this.live.forEach((h, beam) => {
      const top = topTokens(logProbs(beam), h.logProb, k);
      for (const [token, logProb] of top) candidates.push({ beam, token, logProb });
    });
    candidates.sort((a, b) => b.logProb - a.logProb || a.beam - b.beam || a.token - b.token);
    const next: LiveHypothesis[] = [];
    for (const c of candidates.slice(0, k)) {
      const tokens = [...this.live[c.beam]!.tokens, c.token];
      if (this.#stops.has(c.token)) {
        this.#finished.push({
          tokens,
          logProb: c.logProb,
          score: this.#score(c.logProb, tokens.length),
        });
      } else if (next.length < numBeams) {
        next.push({ tokens, logProb: c.logProb, parent: c.beam });
      }
    }
    this.live = next;
    this.#step++;
    const bestLive = next[0];
    if (bestLive && this.#score(bestLive.logProb, bestLive.tokens.length) < this.#worstKept()) {
      this.#stopped = true;
    }
  }

  #worstKept(): number {
    const { numBeams } = this.#options;
    return this.#finished.length < numBeams
      ? Number.NEGATIVE_INFINITY
      : this.#finished.map((h) => h.score).sort((a, b) => b - a)[numBeams - 1]!;
  }

  /** The finished and still-live hypotheses, best score first, `numReturn` of them. */
  result(): Hypothesis[] {
    const all = [
      ...this.#finished,
      ...this.live.map(({ tokens, logProb }) => ({
        tokens,
        logProb,
        score: this.#score(logProb, tokens.length),
      })),
    ];
    return all.sort((a, b) => b.score - a.score).slice(0, this.#options.numReturn ?? 1);
  }
}

/**
 * The `k` tokens of highest `base + row[token]` (float64, as the candidates are ranked), best
 * first, ties to the lower token id: `[token, base + row[token]]` pairs.
 */
function topTokens(row: Float32Array, base: number, k: number): [number, number][] {
  const top: [number, number][] = [];
  for (let token = 0; token < row.length; token++) {
    const value = base + row[token]!;
    if (top.length === k && !(value > top[k - 1]![1])) continue;
    // Insert after every kept value ≥ this one (an equal earlier token stays ahead).
    let at = top.length;
    while (at > 0 && !(top[at - 1]![1] >= value)) at--;
    top.splice(at, 0, [token, value]);
    if (top.length > k) top.pop();
  }
  return top;
}
