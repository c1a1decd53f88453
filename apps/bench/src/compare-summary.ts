/**
 * The markdown section `compare.ts` writes, made from the JSON its child processes wrote: the
 * training and decoding tables and the gap to each goal of issue 17. Pure (no I/O), so a test
 * can feed it results.
 */
import {
  BABY,
  type DecodingRow,
  decodingTable,
  type Goal,
  goalLines,
  median,
  modelFlopsPerIteration,
  pairedRatio,
  roundRatios,
  rowMfu,
  type TrainingRow,
  trainingTable,
} from './compare-report.js';

// biome-ignore lint/suspicious/noExplicitAny: the JSON each side writes
type Json = any;

/** One child process's outcome: its JSON, or why it did not run. */
export interface Outcome {
  result?: Json;
  skipped?: string;
}

/** What `compare.ts` measured and how. */
export interface CompareRun {
  /** Outcomes by side (`tformer node`, `gpt-tfjs wasm`, `pytorch`, `onnxruntime`), one a round. */
  raw: Record<string, Outcome[]>;
  /** The 1-minute load when each child process started. */
  loads: number[];
  /** Why a side's tooling is absent (`python`, `ort`, `gptTfjs`). */
  why: Record<string, string>;
  backends: string[];
  contexts: number[];
  ortVersion?: string;
  command: string;
  /** The checkout measured (`git rev-parse --short HEAD`), when known. */
  commit?: string;
  machine: string;
  date: string;
}

/** The results of one side over rounds, or the first reason it was skipped. */
function side(run: CompareRun, key: string, absent: string): { ok: Json[]; skipped?: string } {
  const runs = run.raw[key] ?? [];
  const ok = runs.filter((r) => r.result).map((r) => r.result);
  return ok.length ? { ok } : { ok, skipped: runs[0]?.skipped ?? absent };
}

/** The markdown section (without its markers). */
export function summarize(run: CompareRun): string {
  const { backends, contexts } = run;
  const flops = modelFlopsPerIteration(BABY);
  const training: TrainingRow[] = [];
  const decoding: DecodingRow[] = [];
  const byContext = (rs: Json[], get: (r: Json) => { context: number; msPerToken: number }[]) =>
    new Map(
      contexts.map((c) => [
        c,
        rs.flatMap((r) =>
          get(r)
            .filter((d) => d.context === c)
            .map((d) => d.msPerToken),
        ),
      ]),
    );
  const tformer: Record<string, Json[]> = {};
  // Per backend, the side whose decoding and generation the goals judge: on node the one started
  // as the apps' generating commands start tfjs-node (oneDNN off), when the run has it.
  const generating: Record<string, Json[]> = {};
  const decodingRow: Record<string, string> = {};
  for (const backend of backends) {
    const s = side(run, `tformer ${backend}`, 'not run');
    tformer[backend] = s.ok.map((r) => r.perf);
    const trainingRow = (name: string, t: typeof s): TrainingRow => ({
      name,
      rounds: t.ok.map((r) => r.perf.training.msPerStep),
      kernels: t.ok[0]?.perf.trainingKernels.total,
      matmulGflops: t.ok.map((r) => r.matmulGflops),
      skipped: t.skipped,
    });
    training.push(trainingRow(`tformer, ${backend}`, s));
    if (run.raw[`tformer ${backend} 1 thread`]) {
      const oneThread = side(run, `tformer ${backend} 1 thread`, 'not run');
      training.push(trainingRow(`tformer, ${backend}, 1 intra-op thread`, oneThread));
    }
    const g = run.raw[`tformer ${backend} generating`]
      ? side(run, `tformer ${backend} generating`, 'not run')
      : undefined;
    const generatingName = `tformer, ${backend}, generating`;
    const decoders = [
      { s, name: `tformer, ${backend}`, cache: g ? 'KV cache, oneDNN on' : 'KV cache' },
      ...(g
        ? [{ s: g, name: generatingName, cache: 'KV cache, oneDNN off, 1 intra-op thread' }]
        : []),
    ];
    for (const d of decoders) {
      decoding.push({
        name: d.name,
        cache: d.cache,
        byContext: byContext(d.s.ok, (r) => r.perf.decoding),
        kernels: d.s.ok[0]?.perf.decoding.find((x: Json) => x.context === contexts[0])
          ?.kernelsPerToken,
        skipped: d.s.skipped,
      });
    }
    generating[backend] = (g ?? s).ok.map((r) => r.perf);
    decodingRow[backend] = g ? generatingName : `tformer, ${backend}`;
  }
  for (const backend of backends) {
    const s = side(run, `gpt-tfjs ${backend}`, run.why.gptTfjs ?? 'not run');
    training.push({
      name: `gpt-tfjs, ${backend}`,
      rounds: s.ok.map((r) => median(r.msPerStep)),
      kernels: s.ok[0]?.stepKernels,
      matmulGflops: s.ok.map((r) => r.matmulGflops),
      skipped: s.skipped,
    });
    decoding.push({
      name: `gpt-tfjs, ${backend}`,
      cache: 'none',
      byContext: byContext(s.ok, (r) => [{ context: r.context, msPerToken: r.msPerToken }]),
      kernels: s.ok[0]?.tokenKernels,
      skipped: s.skipped,
    });
  }
  const torch = side(run, 'pytorch', run.why.python ?? 'not run');
  const torchName = `PyTorch${torch.ok[0] ? ` ${torch.ok[0].torch}` : ''} eager, 1 thread`;
  training.push({
    name: torchName,
    rounds: torch.ok.map((r) => median(r.msPerStep)),
    matmulGflops: torch.ok.map((r) => r.matmulGflops),
    skipped: torch.skipped,
  });
  const ortName = `onnxruntime-node${run.ortVersion ? ` ${run.ortVersion}` : ''} (same model, ONNX)`;
  const onnx = side(run, 'onnxruntime', run.why.python ?? run.why.ort ?? 'not run');
  decoding.push({
    name: ortName,
    cache: 'none',
    byContext: byContext(onnx.ok, (r) => r.decoding),
    skipped: onnx.skipped,
  });

  // Per-round values of a side, for ratios paired round by round.
  const ms = (name: string) => training.find((r) => r.name === name && !r.skipped)?.rounds;
  const msToken = (name: string, c: number) =>
    decoding.find((r) => r.name === name && !r.skipped)?.byContext.get(c);
  const first = (backend: string) => tformer[backend]?.[0];
  const tokenKernels = (b: string) =>
    generating[b]?.[0]?.decoding?.find((d: Json) => d.context === contexts[0])?.kernelsPerToken;
  /** Batch-1 and batch-8 tokens/s of each round that measured them. */
  const gen = (b: string): { batch1TokensPerS: number; batch8TokensPerS: number }[] =>
    (generating[b] ?? []).map((p) => p.generation).filter(Boolean);
  const batchRatios = (b: string) => gen(b).map((g) => g.batch8TokensPerS / g.batch1TokensPerS);
  const dropout = (b: string) => median((tformer[b] ?? []).map((p) => p.training.dropoutRatio));
  const [c0, cN] = [contexts[0]!, contexts.at(-1)!];
  const wasmRow = training.find((r) => r.name === 'tformer, wasm' && !r.skipped);
  const goal = (
    text: string,
    value: number | undefined,
    kind: Goal['kind'],
    target: number,
    rounds?: number[],
  ) => ({
    text,
    value,
    kind,
    target,
    rounds,
    unit: text.includes('kernels') || text.includes('MFU') ? '' : '×',
    why: 'a side it needs was skipped; see the tables',
  });
  // PyTorch runs one intra-op thread: judged against tformer with the same budget when run.
  const oneThreadRow = 'tformer, node, 1 intra-op thread';
  const nodeOne = ms(oneThreadRow) ? oneThreadRow : 'tformer, node';
  const goals: Goal[] = [
    goal(
      `training on node ≥ 1.0× PyTorch eager (1 thread${nodeOne === oneThreadRow ? '; tformer with 1 intra-op thread' : ''})`,
      pairedRatio(ms(torchName), ms(nodeOne)),
      'atLeast',
      1,
      roundRatios(ms(torchName), ms(nodeOne)),
    ),
    ...backends.map((b) =>
      goal(
        `training kernels per step ≤ 700 (${b})`,
        first(b)?.trainingKernels.total,
        'atMost',
        700,
      ),
    ),
    goal(
      'training on node ≥ 3× gpt-tfjs',
      pairedRatio(ms('gpt-tfjs, node'), ms('tformer, node')),
      'atLeast',
      3,
      roundRatios(ms('gpt-tfjs, node'), ms('tformer, node')),
    ),
    goal('training on wasm: MFU ≥ 0.5', wasmRow && rowMfu(wasmRow, flops), 'atLeast', 0.5),
    goal(
      `KV-cached decoding on node ≤ 1.0× onnxruntime-node without cache (ctx ${c0})`,
      pairedRatio(msToken(decodingRow.node ?? '', c0), msToken(ortName, c0)),
      'atMost',
      1,
      roundRatios(msToken(decodingRow.node ?? '', c0), msToken(ortName, c0)),
    ),
    ...backends.map((b) =>
      goal(`kernels per decoded token ≤ 120 (${b})`, tokenKernels(b), 'atMost', 120),
    ),
    ...backends.map((b) =>
      goal(
        `decoding ms/token flat from ctx ${c0} to ${cN} (${b}; ratio ≤ 1.5)`,
        pairedRatio(msToken(decodingRow[b]!, cN), msToken(decodingRow[b]!, c0)),
        'atMost',
        1.5,
        roundRatios(msToken(decodingRow[b]!, cN), msToken(decodingRow[b]!, c0)),
      ),
    ),
    ...backends.map((b) => {
      const ratios = batchRatios(b);
      const text = `batch-8 generation ≥ 6× the tokens/s of batch 1 (${b})`;
      return goal(text, ratios.length ? median(ratios) : undefined, 'atLeast', 6, ratios);
    }),
    ...backends.map((b) =>
      goal(`a dropout-0.1 step ≤ 1.2× a plain one (${b})`, dropout(b), 'atMost', 1.2),
    ),
  ];

  const rounds = Math.max(0, ...Object.values(run.raw).map((r) => r.length));
  const spreads = training
    .filter((r) => r.rounds.length > 1)
    .map((r) => ({ name: r.name, x: Math.max(...r.rounds) / Math.min(...r.rounds) }))
    .sort((p, q) => q.x - p.x);
  const spread = spreads[0]
    ? `The per-round medians of one side varied up to ${spreads[0].x.toFixed(1)}× (${spreads[0].name}), ` +
      'so ratios between sides (speed vs PyTorch, the goals) are medians of per-round ratios, and ' +
      'a spread of this size means the load, not the code, set the absolute times.'
    : '';
  const load = `${Math.min(...run.loads).toFixed(1)}–${Math.max(...run.loads).toFixed(1)}`;
  const generation = backends.map((b) => {
    const rates = (key: 'batch1TokensPerS' | 'batch8TokensPerS') =>
      gen(b).length ? median(gen(b).map((g) => g[key])) : undefined;
    return `${b} ${fmt0(rates('batch1TokensPerS'))} / ${fmt0(rates('batch8TokensPerS'))}`;
  });
  return `## Side by side: PyTorch eager, gpt-tfjs, onnxruntime-node (issue 17)

Date: ${run.date}. Machine: ${run.machine}; 1-minute load ${load} over the run.
Command: \`${run.command}\` (\`apps/bench/src/compare.ts\`)${run.commit ? ` at ${run.commit}` : ''}.
nanoGPT's \`baby\` config: 4 layers × 4 heads × d 128, ctx 64, batch 12, \`gelu_tanh\`, no biases,
AdamW (lr 1e-3, betas 0.9/0.99) with global-norm clipping at 1.0, dropout 0. Each side runs in its
own process and the ${rounds} round${rounds === 1 ? '' : 's'} interleave them (per backend: tformer, PyTorch, gpt-tfjs; then
onnxruntime), so all see the same load; a cell is the median over rounds of each round's median.
Model FLOPs per iteration: ${(flops / 1e9).toFixed(2)} G (nanoGPT's count); MFU divides the achieved
rate by the same process's rank-2 matmul rate (\`[768, 128] @ [128, 512]\`, fastest of 30). Kernel
counts are the kernel launches \`tf.profile\` lists (not its entries for \`tf.customGrad\` ops,
which launch nothing themselves; tformer's from \`perf.ts\`, first round). onnxruntime-node runs
\`interop/python/export_onnx.py\`'s export (ids → logits, no KV cache) of the model \`perf.ts\`
decodes, default session options; it is not a workspace dependency (\`bash
scripts/interop/setup-onnxruntime.sh\` installs it outside with \`--ignore-scripts\`, as its install
script downloads extras), so \`pnpm install\` stays offline-safe. gpt-tfjs is a local checkout given
with \`--gpt-tfjs\`, run on the workspace's \`@tensorflow/tfjs\` (the project does not vendor it);
it decodes its ctx-64 model only. Threads: PyTorch is pinned to one (as the goal states), tfjs wasm
has one, tfjs-node (libtensorflow) and onnxruntime-node use their default pools (every core).
On node, tformer trains with libtensorflow's defaults (oneDNN, a thread per core) and once more
with one intra-op thread (\`selectBackend('node', { intraOpThreads: 1 })\`), PyTorch's budget: the
goal against PyTorch is judged by that row. Its decoding
is measured twice, in that process and in one started as the apps' \`generate\`/\`translate\`
start tfjs-node (\`generating\`: oneDNN off, one intra-op thread; \`forDecoding\` of
@tformer/app-kit, \`selectBackend(name, { onednn: false, intraOpThreads: 1 })\`). The decoding
goals and the generation numbers are the generating process's. Before any decoding is timed, each
decoding process runs 768 unmeasured tokens (onnxruntime: 768 unmeasured runs at the first
context): V8 takes a few hundred steps to compile the JS that dispatches a step's kernels.

${trainingTable(training, flops, torchName)}

${decodingTable(decoding, contexts)}

${spread}

tformer's own numbers from the same run: dropout 0.1 ÷ plain step (median over rounds)
${backends.map((b) => `${b} ${fmt2(dropout(b))}`).join(', ')}; generation tokens/s at batch 1 / batch 8
(median over rounds) ${generation.join(', ')}.

**Gap to each goal of issue 17** (this run; the rolling cache, batched translation and the
browser backends are not measured by this command):

${goalLines(goals)}
`;
}

const fmt0 = (x?: number) => (x === undefined ? '–' : x.toFixed(0));
const fmt2 = (x?: number) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
