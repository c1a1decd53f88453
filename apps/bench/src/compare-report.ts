/**
 * The pure parts of `compare.ts`: medians, model FLOPs and MFU, the reason a failed run gives,
 * and the markdown section (tables and the gap to each of issue 17's goals) it writes.
 */

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The shape model FLOPs are counted for: a GPT without biases, tied embeddings. */
export interface FlopsShape {
  layers: number;
  heads: number;
  dModel: number;
  context: number;
  batch: number;
  vocab: number;
}

/** nanoGPT's `baby`: 4 × 4 × 128, ctx 64, batch 12, 65 characters. */
export const BABY: FlopsShape = {
  layers: 4,
  heads: 4,
  dModel: 128,
  context: 64,
  batch: 12,
  vocab: 65,
};

/**
 * Model FLOPs of one training iteration (forward + backward) as nanoGPT's `estimate_mfu`
 * counts them: `6·N` per token for the weights (N without the position table) plus
 * `12·L·H·hs·T` for attention's two products, times `B·T` tokens. The `baby` shape gives 3.97e9.
 */
export function modelFlopsPerIteration(s: FlopsShape): number {
  const d = s.dModel;
  // Per block: QKV 3d², output d², MLP 8d², two LayerNorm weights; then the final LayerNorm and
  // the token table (tied with the output projection).
  const weights = s.layers * (12 * d * d + 2 * d) + d + s.vocab * d;
  const perToken = 6 * weights + 12 * s.layers * s.heads * (d / s.heads) * s.context;
  return perToken * s.context * s.batch;
}

/**
 * `a ÷ b` for sides measured in the same rounds: the median of the per-round ratios (each round's
 * sides ran minutes apart, under nearly the same load), or the ratio of the medians when the
 * rounds do not pair up (a side failed in some round). Undefined when either side is absent.
 */
export function pairedRatio(a?: readonly number[], b?: readonly number[]): number | undefined {
  if (!a?.length || !b?.length) return undefined;
  const perRound = roundRatios(a, b);
  return perRound ? median(perRound) : median(a) / median(b);
}

/** `a[i] ÷ b[i]` for each round when both sides have every round, else undefined. */
export function roundRatios(a?: readonly number[], b?: readonly number[]): number[] | undefined {
  if (!a?.length || a.length !== b?.length) return undefined;
  return a.map((x, i) => x / b[i]!);
}

/** Model-FLOPs utilisation: achieved FLOP/s over the same run's matmul FLOP/s. */
export function mfu(flopsPerIteration: number, msPerIteration: number, matmulGflops: number) {
  return flopsPerIteration / (msPerIteration / 1000) / (matmulGflops * 1e9);
}

/**
 * One short line saying why a child process failed: the last `…Error: message` line of its
 * stderr (minified bundles print whole source lines, so long lines are skipped), else its last
 * short line.
 */
export function failureReason(stderr: string, fallback = 'failed'): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l.length < 400);
  const error = lines.findLast((l) => /^([A-Z]\w*)?Error\b|^\w+Error:/.test(l));
  return (error ?? lines.at(-1) ?? fallback).slice(0, 240);
}

/** Replaces `<!-- name:start -->…<!-- name:end -->` in `doc`, or appends it. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

/** A number for a table: `–` when absent, else `digits` decimals with thousands separators. */
export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** One training row of the table: medians over rounds of per-round medians. */
export interface TrainingRow {
  name: string;
  /** Each round's median ms per iteration. */
  rounds: number[];
  kernels?: number;
  /** Each round's matmul GFLOP/s (the same process). */
  matmulGflops: number[];
  skipped?: string;
}

/** One decoding row: median ms per token at each context, kernels per token. */
export interface DecodingRow {
  name: string;
  cache: string;
  /** context → each round's median ms per token */
  byContext: Map<number, number[]>;
  kernels?: number;
  skipped?: string;
}

/** MFU per round (each round's time against its own matmul rate), then the median. */
export function rowMfu(row: TrainingRow, flops: number): number {
  return median(row.rounds.map((ms, i) => mfu(flops, ms, row.matmulGflops[i]!)));
}

/**
 * The training table, with each row's speed relative to `reference` (PyTorch eager): the median
 * of per-round ratios.
 */
export function trainingTable(rows: TrainingRow[], flops: number, reference?: string): string {
  const ref = rows.find((r) => r.name === reference && !r.skipped);
  const out = [
    '| training, ms/iteration | median | per round | kernels/step | matmul GFLOP/s | MFU | speed vs PyTorch |',
    '|---|---:|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    if (r.skipped) {
      out.push(`| ${r.name} | skipped: ${r.skipped} | | | | | |`);
      continue;
    }
    const ms = median(r.rounds);
    const speed = pairedRatio(ref?.rounds, r.rounds);
    out.push(
      `| ${r.name} | ${fmt(ms, 0)} | ${r.rounds.map((x) => fmt(x, 0)).join(', ')} | ` +
        `${fmt(r.kernels, 0)} | ${fmt(median(r.matmulGflops))} | ${fmt(rowMfu(r, flops), 2)} | ` +
        `${ref ? `${fmt(speed, 2)}×` : '–'} |`,
    );
  }
  return out.join('\n');
}

/** The decoding table: ms/token per context (median over rounds), kernels per token. */
export function decodingTable(rows: DecodingRow[], contexts: number[]): string {
  const out = [
    `| decoding, batch 1, greedy, ms/token | cache | ${contexts.map((c) => `ctx ${c}`).join(' | ')} | kernels/token |`,
    `|---|---|${contexts.map(() => '---:').join('|')}|---:|`,
  ];
  for (const r of rows) {
    if (r.skipped) {
      out.push(
        `| ${r.name} | ${r.cache} | skipped: ${r.skipped} |${contexts.map(() => '').join(' |')} |`,
      );
      continue;
    }
    const cells = contexts.map((c) => fmt(median(r.byContext.get(c) ?? []), 2));
    out.push(`| ${r.name} | ${r.cache} | ${cells.join(' | ')} | ${fmt(r.kernels, 0)} |`);
  }
  return out.join('\n');
}

/** A goal of issue 17 and what this run measured for it. */
export interface Goal {
  text: string;
  /** The measured value, undefined when this run could not measure it (`why` says so). */
  value?: number;
  target: number;
  /** `atLeast`: the value must be ≥ target; `atMost`: ≤ target. */
  kind: 'atLeast' | 'atMost';
  unit: string;
  why?: string;
  /** The value in each round, quoted beside the median so that its spread shows. */
  rounds?: number[];
}

/** One bullet per goal: met or not, the measured value, and the factor still to go. */
export function goalLines(goals: Goal[]): string {
  return goals
    .map((g) => {
      if (g.value === undefined || !Number.isFinite(g.value)) {
        return `- ${g.text}: not measured (${g.why ?? 'a side was skipped'}).`;
      }
      const meets = (x: number) => (g.kind === 'atLeast' ? x >= g.target : x <= g.target);
      const factor = g.kind === 'atLeast' ? g.target / g.value : g.value / g.target;
      const count = g.unit === '' && Number.isInteger(g.value); // kernels: no decimals
      const digits = Math.abs(g.value) >= 100 || count ? 0 : 2;
      const rounds = g.rounds && g.rounds.length > 1 ? g.rounds : undefined;
      const perRound = rounds ? ` (per round ${rounds.map((x) => fmt(x, 2)).join(', ')})` : '';
      const measured = `${fmt(g.value, digits)}${g.unit}${perRound}`;
      if (rounds?.some(meets) && !rounds.every(meets)) {
        return `- ${g.text}: **undecided at this load**, median ${measured}: the rounds fall on both sides of the target.`;
      }
      if (meets(g.value)) return `- ${g.text}: **met**, ${measured}.`;
      const short = factor < 1.01 ? '**at the limit**, just short' : `**${fmt(factor, 2)}× short**`;
      return `- ${g.text}: ${measured}, ${short} of the target.`;
    })
    .join('\n');
}
