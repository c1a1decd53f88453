/**
 * The pure parts of `compare.ts` (its child processes and timings are not unit-tested: they are
 * the benchmark): medians, model FLOPs and MFU, failure reasons, the section writer, the tables
 * and the goal lines built from child-process JSON.
 */
import { describe, expect, it } from 'vitest';
import {
  BABY,
  decodingTable,
  failureReason,
  goalLines,
  median,
  mfu,
  modelFlopsPerIteration,
  pairedRatio,
  replaceSection,
  trainingTable,
} from './compare-report.js';
import { summarize } from './compare-summary.js';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('model FLOPs and MFU', () => {
  it("counts nanoGPT's estimate for the baby config", () => {
    // Parameters without the position table: 4 blocks × (12·128² + 2·128) + 128 + 65·128
    // = 795,904. Per token 6 × 795,904 + 12·4·4·32·64 = 5,168,640; × 64 × 12 tokens.
    expect(modelFlopsPerIteration(BABY)).toBe(5_168_640 * 64 * 12);
  });

  it('grows with batch linearly and with context more than linearly (attention)', () => {
    const base = modelFlopsPerIteration(BABY);
    expect(modelFlopsPerIteration({ ...BABY, batch: 24 })).toBe(2 * base);
    expect(modelFlopsPerIteration({ ...BABY, context: 128 })).toBeGreaterThan(2 * base);
  });

  it('divides the achieved rate by the matmul rate', () => {
    // 4 GFLOP in 200 ms is 20 GFLOP/s; against 40 GFLOP/s that is half.
    expect(mfu(4e9, 200, 40)).toBeCloseTo(0.5, 12);
  });
});

describe('pairedRatio', () => {
  it('takes the median of per-round ratios, or the ratio of medians when rounds do not pair', () => {
    // Per round 1/3, 2, 0.9 → 0.9; the ratio of the medians would be 2/3.
    expect(pairedRatio([1, 2, 9], [3, 1, 10])).toBe(0.9);
    expect(pairedRatio([6, 2], [2])).toBe(2);
    expect(pairedRatio([1], undefined)).toBeUndefined();
  });
});

describe('failureReason', () => {
  it('takes the last error line and skips minified source lines', () => {
    const stderr = [
      'var Module=typeof WasmBackendModule!="undefined"?'.repeat(20),
      "Error: Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'",
      '    at Engine.runKernel (engine.js:1)',
    ].join('\n');
    expect(failureReason(stderr)).toBe(
      "Error: Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'",
    );
    expect(failureReason("ModuleNotFoundError: No module named 'onnx'\n")).toBe(
      "ModuleNotFoundError: No module named 'onnx'",
    );
    expect(failureReason('usage: x\nx: error: bad flag\n')).toBe('x: error: bad flag');
    expect(failureReason('')).toBe('failed');
  });
});

describe('replaceSection', () => {
  it('replaces the marked section and keeps the rest', () => {
    const doc = '# B\n\n<!-- compare:start -->\nold\n<!-- compare:end -->\n\nafter\n';
    expect(replaceSection(doc, 'compare', 'new\n')).toBe(
      '# B\n\n<!-- compare:start -->\nnew\n<!-- compare:end -->\n\nafter\n',
    );
  });

  it('appends the section when the document has none', () => {
    expect(replaceSection('# B\n', 'compare', 'body')).toBe(
      '# B\n\n<!-- compare:start -->\nbody\n<!-- compare:end -->\n',
    );
  });
});

describe('tables and goals', () => {
  it('quotes medians, MFU and the speed relative to the reference row', () => {
    const flops = 4e9;
    const table = trainingTable(
      [
        { name: 'ours', rounds: [200, 240, 220], kernels: 2000, matmulGflops: [40, 40, 40] },
        { name: 'ref', rounds: [110, 100, 90], matmulGflops: [50, 50, 50] },
        { name: 'peer', rounds: [], matmulGflops: [], skipped: 'no checkout' },
      ],
      flops,
      'ref',
    );
    const ours = table.split('\n').find((l) => l.startsWith('| ours'))!;
    // 220 ms median; MFU per round 4e9/0.2/40e9 = 0.5, 0.4167, 0.4545 → 0.45; speed per round
    // 110/200, 100/240, 90/220 = 0.55, 0.417, 0.409 → 0.42×.
    expect(ours).toBe('| ours | 220 | 200, 240, 220 | 2,000 | 40.0 | 0.45 | 0.42× |');
    expect(table).toContain('| peer | skipped: no checkout |');
  });

  it('writes one decoding cell per context', () => {
    const table = decodingTable(
      [{ name: 'a', cache: 'KV', byContext: new Map([[64, [2, 4, 3]]]), kernels: 100 }],
      [64, 256],
    );
    expect(table.split('\n')[2]).toBe('| a | KV | 3.00 | – | 100 |');
  });

  it('says met, how far short, or why not measured', () => {
    const lines = goalLines([
      { text: 'fast', value: 0.5, target: 1, kind: 'atLeast', unit: '×' },
      { text: 'few', value: 600, target: 700, kind: 'atMost', unit: '' },
      { text: 'flat', value: 3, target: 1.5, kind: 'atMost', unit: '×' },
      { text: 'peer', target: 3, kind: 'atLeast', unit: '×', why: 'no checkout' },
      { text: 'noisy', value: 1.2, target: 1, kind: 'atLeast', unit: '×', rounds: [0.5, 1.2, 3] },
      { text: 'steady', value: 0.5, target: 1, kind: 'atLeast', unit: '×', rounds: [0.4, 0.5] },
    ]).split('\n');
    expect(lines).toEqual([
      '- fast: 0.50×, **2.00× short** of the target.',
      '- few: **met**, 600.',
      '- flat: 3.00×, **2.00× short** of the target.',
      '- peer: not measured (no checkout).',
      '- noisy: **undecided at this load**, median 1.20× (per round 0.50, 1.20, 3.00): the rounds fall on both sides of the target.',
      '- steady: 0.50× (per round 0.40, 0.50), **2.00× short** of the target.',
    ]);
  });
});

describe('summarize', () => {
  const perf = (msPerStep: number) => ({
    matmulGflops: 40,
    perf: {
      trainingKernels: { total: 1400 },
      training: { msPerStep, dropoutRatio: 1.1 },
      decoding: [
        { context: 64, msPerToken: 4, kernelsPerToken: 150 },
        { context: 1024, msPerToken: 8, kernelsPerToken: 150 },
      ],
      generation: { batch1TokensPerS: 100, batch8TokensPerS: 700 },
    },
  });
  const run: Parameters<typeof summarize>[0] = {
    raw: {
      'tformer node': [{ result: perf(200) }, { result: perf(180) }],
      pytorch: [
        { result: { torch: '2.13.0', msPerStep: [90, 100, 110], matmulGflops: 50 } },
        { result: { torch: '2.13.0', msPerStep: [100], matmulGflops: 50 } },
      ],
      'gpt-tfjs node': [{ skipped: "Error: Cannot find module '@tensorflow/tfjs'" }],
      onnxruntime: [{ result: { decoding: [{ context: 64, msPerToken: 2 }] } }],
    },
    loads: [3, 5],
    why: {},
    backends: ['node'],
    contexts: [64, 1024],
    ortVersion: '1.30.0',
    command: 'pnpm compare',
    machine: '2 cores',
    date: '2026-12-06',
  };
  const section = summarize(run);

  it('compares against PyTorch and onnxruntime from the medians over rounds', () => {
    // Per round 100/200 and 100/180: median 0.528×, 1.89× short.
    expect(section).toContain(
      '- training on node ≥ 1.0× PyTorch eager (1 thread): 0.53× (per round 0.50, 0.56), **1.89× short**',
    );
    expect(section).toContain('varied up to 1.1× (tformer, node)');
    expect(section).toContain('| PyTorch 2.13.0 eager, 1 thread | 100 | 100, 100 |');
    // 4 ms/token against onnxruntime's 2 ms at ctx 64.
    expect(section).toContain('without cache (ctx 64): 2.00×, **2.00× short**');
    expect(section).toContain('- kernels per decoded token ≤ 120 (node): 150, **1.25× short**');
    expect(section).toContain(
      'ctx 64 to 1024 (node; ratio ≤ 1.5): 2.00× (per round 2.00, 2.00), **1.33× short**',
    );
    expect(section).toContain(
      'batch-8 generation ≥ 6× the tokens/s of batch 1 (node): **met**, 7.00×',
    );
    expect(section).toContain('1-minute load 3.0–5.0');
  });

  it('judges node decoding by the generating process when the run has one, and shows both', () => {
    const decodingOnly = (ms64: number, kernels: number) => ({
      matmulGflops: 40,
      perf: {
        decoding: [
          { context: 64, msPerToken: ms64, kernelsPerToken: kernels },
          { context: 1024, msPerToken: ms64 * 1.25, kernelsPerToken: kernels },
        ],
        generation: { batch1TokensPerS: 100, batch8TokensPerS: 550 },
      },
    });
    const both = summarize({
      ...run,
      raw: {
        ...run.raw,
        'tformer node generating': [
          { result: decodingOnly(1.5, 90) },
          { result: decodingOnly(2.5, 90) },
        ],
      },
    });
    expect(both).toContain('| tformer, node | KV cache, oneDNN on | 4.00 | 8.00 | 150 |');
    expect(both).toContain(
      '| tformer, node, generating | KV cache, oneDNN off, 1 intra-op thread | 2.00 | 2.50 | 90 |',
    );
    // Per round 1.5/2 and 2.5/2: median 1.00×.
    expect(both).toContain('without cache (ctx 64): **met**, 1.00×');
    expect(both).toContain('- kernels per decoded token ≤ 120 (node): **met**, 90');
    expect(both).toContain('ctx 64 to 1024 (node; ratio ≤ 1.5): **met**, 1.25×');
    expect(both).toContain('(node): 5.50× (per round 5.50, 5.50), **1.09× short**');
  });

  it('judges training against PyTorch by the one-thread process when the run has one', () => {
    const oneThread = summarize({
      ...run,
      raw: { ...run.raw, 'tformer node 1 thread': [{ result: perf(80) }, { result: perf(90) }] },
    });
    expect(oneThread).toContain('| tformer, node, 1 intra-op thread | 85 | 80, 90 |');
    // Per round 100/80 and 100/90: median 1.18×; the default-threads row (0.53×) is not the judge.
    expect(oneThread).toContain(
      '- training on node ≥ 1.0× PyTorch eager (1 thread; tformer with 1 intra-op thread): **met**, 1.18×',
    );
  });

  it('judges batched generation round by round, as the other goals', () => {
    const generationOnly = (batch8TokensPerS: number) => ({
      matmulGflops: 40,
      perf: {
        decoding: [
          { context: 64, msPerToken: 1, kernelsPerToken: 90 },
          { context: 1024, msPerToken: 1.25, kernelsPerToken: 90 },
        ],
        generation: { batch1TokensPerS: 100, batch8TokensPerS },
      },
    });
    const rounds = (...rates: number[]) =>
      summarize({
        ...run,
        raw: {
          ...run.raw,
          'tformer node generating': rates.map((r) => ({ result: generationOnly(r) })),
        },
      });
    // Per round 5.5× and 6.5×: on both sides of 6×, whatever the median.
    expect(rounds(550, 650, 640)).toContain(
      '(node): **undecided at this load**, median 6.40× (per round 5.50, 6.50, 6.40)',
    );
    expect(rounds(650, 620)).toContain('(node): **met**, 6.35× (per round 6.50, 6.20)');
    // The tokens/s quoted are the medians over rounds.
    expect(rounds(550, 650, 640)).toContain(
      'batch 1 / batch 8\n(median over rounds) node 100 / 640',
    );
  });

  it('names the reason of a skipped side in its row and its goal', () => {
    expect(section).toContain(
      "| gpt-tfjs, node | skipped: Error: Cannot find module '@tensorflow/tfjs' |",
    );
    expect(section).toContain('- training on node ≥ 3× gpt-tfjs: not measured');
  });
});
