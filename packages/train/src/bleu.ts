import { InvalidArgumentError } from './errors.js';
import { checkInteger } from './validate.js';

// mteval-v13a's language-dependent rules, as sacreBLEU's `13a` tokenizer applies them.
const SPLIT_SYMBOLS = /([{-~[-` -&(-+:-@/])/g; // separate most ASCII punctuation and symbols
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

/**
 * The `13a` tokenizer of sacreBLEU (Post 2018), which reproduces WMT's `mteval-v13a.pl`: it
 * unescapes four HTML entities, splits punctuation and symbols off words, splits periods and
 * commas unless they sit between digits (so 3.14 and 1,000 stay whole), and splits a dash that
 * follows a digit.
 *
 * @example
 * ```ts
 * tokenize13a('Hello, world!'); // ['Hello', ',', 'world', '!']
 * ```
 */
export function tokenize13a(line: string): string[] {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  text = ` ${text} `
    .replace(SPLIT_SYMBOLS, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return text.split(/\s+/).filter((t) => t.length > 0);
}

/** Options of {@link corpusBleu}. */
export interface BleuOptions {
  /** Lowercase hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Largest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /**
   * `none` (default): an order without any match makes BLEU 0. `exp`: sacreBLEU's command-line
   * default (mteval's NIST smoothing), the k-th order without matches gets precision
   * 1 / (2^k · total).
   */
  smoothing?: 'none' | 'exp';
}

/** Corpus BLEU and the statistics it is made of, as sacreBLEU reports them. */
export interface BleuResult {
  /** BLEU on sacreBLEU's 0–100 scale. */
  score: number;
  /** Matched n-grams per order, clipped by the reference counts. */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Precisions per order, in percent. */
  precisions: number[];
  /** Brevity penalty. */
  brevityPenalty: number;
  /** Total hypothesis length in tokens. */
  hypothesisLength: number;
  /** Total effective reference length (closest per sentence). */
  referenceLength: number;
}

/**
 * Corpus-level BLEU (Papineni et al. 2002) computed as sacreBLEU computes it: `13a`
 * tokenization, n-gram counts clipped by the maximum count in any reference, statistics summed
 * over the corpus before the geometric mean, and a brevity penalty exp(1 − r/c) when c < r, where
 * r sums, per sentence, the reference length closest to the hypothesis length (the shorter on a
 * tie).
 *
 * @param hypotheses one detokenized system output per segment.
 * @param references reference streams, as in sacreBLEU: `references[k][i]` is the k-th
 *   reference of segment i; every stream has one entry per hypothesis.
 *
 * @example
 * ```ts
 * corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]).score; // 100
 * ```
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  { lowercase = false, maxNgramOrder = 4, smoothing = 'none' }: BleuOptions = {},
): BleuResult {
  checkInteger('options.maxNgramOrder', maxNgramOrder, 1);
  if (references.length === 0)
    throw new InvalidArgumentError('references', 'at least one reference stream', 'none');
  references.forEach((stream, k) => {
    if (stream.length !== hypotheses.length) {
      throw new InvalidArgumentError(
        `references[${k}]`,
        `${hypotheses.length} segments (as hypotheses)`,
        `${stream.length}`,
      );
    }
  });
  const prepare = (s: string) => tokenize13a(lowercase ? s.trimEnd().toLowerCase() : s.trimEnd());
  const counts = new Array<number>(maxNgramOrder).fill(0);
  const totals = new Array<number>(maxNgramOrder).fill(0);
  let hypothesisLength = 0;
  let referenceLength = 0;
  hypotheses.forEach((hypothesis, i) => {
    const hypTokens = prepare(hypothesis);
    const refTokens = references.map((stream) => prepare(stream[i]!));
    hypothesisLength += hypTokens.length;
    referenceLength += closestLength(
      hypTokens.length,
      refTokens.map((r) => r.length),
    );
    const maxRefCounts = new Map<string, number>();
    for (const ref of refTokens) {
      for (const [ngram, c] of ngramCounts(ref, maxNgramOrder)) {
        maxRefCounts.set(ngram, Math.max(maxRefCounts.get(ngram) ?? 0, c));
      }
    }
    for (const [ngram, c] of ngramCounts(hypTokens, maxNgramOrder)) {
      const order = ngram.split(' ').length; // tokens never contain spaces
      totals[order - 1]! += c;
      counts[order - 1]! += Math.min(c, maxRefCounts.get(ngram) ?? 0);
    }
  });
  return score(counts, totals, hypothesisLength, referenceLength, smoothing);
}

function score(
  counts: number[],
  totals: number[],
  c: number,
  r: number,
  smoothing: 'none' | 'exp',
): BleuResult {
  const brevityPenalty = c < r ? (c > 0 ? Math.exp(1 - r / c) : 0) : 1;
  const precisions = counts.map(() => 0);
  const result = {
    counts,
    totals,
    precisions,
    brevityPenalty,
    hypothesisLength: c,
    referenceLength: r,
  };
  if (counts.every((n) => n === 0)) return { score: 0, ...result };
  let smoothDivisor = 1;
  for (let n = 0; n < counts.length; n++) {
    if (totals[n] === 0) break; // hypotheses too short for this order: precision stays 0
    if (counts[n]! > 0) precisions[n] = (100 * counts[n]!) / totals[n]!;
    else if (smoothing === 'exp') precisions[n] = 100 / ((smoothDivisor *= 2) * totals[n]!);
  }
  if (precisions.some((p) => p === 0)) return { score: 0, ...result };
  const meanLog = precisions.reduce((s, p) => s + Math.log(p), 0) / precisions.length;
  return { score: brevityPenalty * Math.exp(meanLog), ...result };
}

/** The reference length closest to `hypLength`, the shorter one on a tie. */
function closestLength(hypLength: number, refLengths: number[]): number {
  let best = refLengths[0]!;
  for (const len of refLengths) {
    const [d, bestD] = [Math.abs(len - hypLength), Math.abs(best - hypLength)];
    if (d < bestD || (d === bestD && len < best)) best = len;
  }
  return best;
}

/** Counts of every n-gram of orders 1..maxOrder, keyed by its tokens joined with spaces. */
function ngramCounts(tokens: string[], maxOrder: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(' ');
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}
