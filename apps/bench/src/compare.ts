/**
 * tformer side by side with its peers on nanoGPT's `baby` config (4 × 4 × 128, ctx 64, batch 12,
 * `gelu_tanh`, AdamW, clipping at 1.0), issue 17's benchmark:
 *
 * - training ms/iteration of tformer (node, wasm), PyTorch eager (one thread,
 *   `scripts/bench/torch_train.py` in the venv of `scripts/interop/setup-venv.sh`) and gpt-tfjs
 *   (a local checkout named by `--gpt-tfjs`; never vendored), each with kernels per step
 *   (`tf.profile`) and model-FLOPs utilisation against the same process's matmul rate;
 * - decoding ms/token at batch 1: tformer with its KV cache, gpt-tfjs and onnxruntime-node (the
 *   same GPT-2-shaped model exported to ONNX) without one, with kernels per token.
 *
 * Every measurement runs in its own process and the processes are interleaved: each round runs
 * every side once, so all sides see the same load; tables quote the median over rounds of each
 * round's median. A side whose tooling is absent is a row saying why. Writes the
 * `<!-- compare:start -->…<!-- compare:end -->` section of docs/benchmarks.md (`--doc -` prints
 * it instead).
 *
 * Usage: pnpm --filter @tformer/bench compare [--gpt-tfjs <checkout>] [--python <venv python>]
 *   [--ort <onnxruntime-node dir>] [--rounds 3] [--steps 6] [--tokens 16]
 *   [--contexts 64,256,1024] [--backends node,wasm] [--doc docs/benchmarks.md | -] [--json run.json]
 *   [--from run.json] (writes the section from a saved run's JSON without measuring again)
 *   [--note 'shared by other jobs'] (a remark on the machine, quoted after its CPU count)
 * Env: TFORMER_GPT_TFJS, TFORMER_INTEROP_PYTHON, TFORMER_ONNXRUNTIME_NODE (as the flags).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { failureReason, replaceSection } from './compare-report.js';
import { type CompareRun, type Outcome, summarize } from './compare-summary.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const env = process.env;
const { values: args } = parseArgs({
  options: {
    'gpt-tfjs': { type: 'string', default: env.TFORMER_GPT_TFJS },
    python: { type: 'string', default: env.TFORMER_INTEROP_PYTHON },
    ort: { type: 'string', default: env.TFORMER_ONNXRUNTIME_NODE },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '6' },
    tokens: { type: 'string', default: '16' },
    contexts: { type: 'string', default: '64,256,1024' },
    backends: { type: 'string', default: 'node,wasm' },
    doc: { type: 'string', default: join(repo, 'docs/benchmarks.md') },
    json: { type: 'string' },
    from: { type: 'string' },
    note: { type: 'string', default: '' },
  },
});
const rounds = Number(args.rounds);
const contexts = args.contexts.split(',').map(Number);
const backends = args.backends.split(',');
const work = args.from ? '' : mkdtempSync(join(tmpdir(), 'tformer-compare-'));
const loads: number[] = [];

/** Runs one side in a child process; its JSON from `--out`, or the reason it failed. */
function child(
  command: string,
  argv: string[],
  extraEnv: Record<string, string> = {},
): Outcome & { seconds: number } {
  const out = join(work, `${loads.length}.json`);
  loads.push(loadavg()[0]!);
  const t0 = performance.now();
  const run = spawnSync(command, [...argv, '--out', out], {
    encoding: 'utf8',
    env: { ...env, ...extraEnv },
    maxBuffer: 1 << 28,
    timeout: 600_000,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status === 0 && existsSync(out)) {
    return { result: JSON.parse(readFileSync(out, 'utf8')), seconds };
  }
  return { skipped: failureReason(`${run.stderr ?? ''}\n${run.error?.message ?? ''}`), seconds };
}
const tsx = (file: string, argv: string[], extraEnv?: Record<string, string>) =>
  child(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL(file, import.meta.url)), ...argv],
    extraEnv,
  );

/** Where a side's tooling is, or why it is skipped. */
function locate(): {
  python?: string;
  ort?: string;
  gptTfjs?: string;
  why: Record<string, string>;
} {
  const why: Record<string, string> = {};
  const venv = join(repo, '.venv-interop/bin/python');
  const python = args.python ?? (existsSync(venv) ? venv : undefined);
  const setup =
    'bash scripts/interop/setup-venv.sh --onnx, then --python or TFORMER_INTEROP_PYTHON';
  if (!python) why.python = `no Python with torch (${setup})`;
  else {
    const probe = spawnSync(python, ['-c', 'import torch, transformers, onnx, onnxscript'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) {
      const reason = failureReason(`${probe.stderr ?? ''}\n${probe.error?.message ?? ''}`);
      why.python = `${python}: ${reason} (${setup})`;
    }
  }
  const local = join(repo, '.onnxruntime-node/node_modules/onnxruntime-node');
  const ort = args.ort ?? (existsSync(local) ? local : undefined);
  if (!ort) {
    why.ort =
      'no onnxruntime-node (bash scripts/interop/setup-onnxruntime.sh, or --ort / TFORMER_ONNXRUNTIME_NODE)';
  }
  const gptTfjs = args['gpt-tfjs'] && resolve(args['gpt-tfjs']);
  if (!gptTfjs) why.gptTfjs = 'no checkout given (--gpt-tfjs <path> or TFORMER_GPT_TFJS)';
  else if (!existsSync(join(gptTfjs, 'src/model.js'))) {
    why.gptTfjs = `${gptTfjs} is not a gpt-tfjs checkout (no src/model.js)`;
  }
  return {
    python: why.python ? undefined : python,
    ort,
    gptTfjs: why.gptTfjs ? undefined : gptTfjs,
    why,
  };
}

/**
 * The folder that holds the workspace's `@tensorflow/tfjs` (installed beside tfjs-node), for
 * gpt-tfjs's `require('@tensorflow/tfjs')` through NODE_PATH; undefined when absent.
 */
function tfjsNodePath(): string | undefined {
  try {
    const fromBackend = createRequire(import.meta.resolve('@tformer/backend'));
    const tfjs = createRequire(fromBackend.resolve('@tensorflow/tfjs-node')).resolve(
      '@tensorflow/tfjs',
    );
    return tfjs.slice(0, tfjs.lastIndexOf('/node_modules/') + '/node_modules'.length);
  } catch {
    return undefined;
  }
}

/** Runs every side, round by round, each in its own process. */
function measure(): CompareRun {
  const where = locate();
  const common = ['--steps', args.steps, '--tokens', args.tokens];
  const raw: Record<string, Outcome[]> = {};
  /** Runs one side, unless it failed in an earlier round: a missing kernel or tool fails every time. */
  const record = (key: string, start: () => Outcome & { seconds: number }) => {
    if (raw[key]?.some((r) => r.skipped)) return;
    const r = start();
    (raw[key] ??= []).push(r);
    const what = r.skipped ? `skipped: ${r.skipped}` : 'done';
    process.stderr.write(`  ${key}: ${what} (${r.seconds.toFixed(0)} s)\n`);
  };
  const nodePath = tfjsNodePath();
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`round ${round}/${rounds} (load ${loadavg()[0]!.toFixed(1)})\n`);
    for (const backend of backends) {
      const t = ['--backend', backend, ...common, '--contexts', args.contexts];
      // On node, decoding and generation also run as the apps' generate/translate start
      // tfjs-node: without oneDNN, one intra-op thread (training keeps libtensorflow's
      // defaults; see @tformer/app-kit's forDecoding).
      const generating = backend === 'node';
      // Batched generation every round (a few seconds), so that its goal is judged round by
      // round as the others are: in the generating process on node, else with training.
      const parts = generating ? 'training,decoding' : 'training,decoding,generation';
      record(`tformer ${backend}`, () => tsx('./compare-tformer.ts', [...t, '--parts', parts]));
      if (backend === 'node') {
        // Training once more with PyTorch's thread budget: one intra-op thread.
        const one = [...t, '--parts', 'training', '--intra-op-threads', '1'];
        record(`tformer ${backend} 1 thread`, () => tsx('./compare-tformer.ts', one));
      }
      if (generating) {
        const g = [...t, '--parts', 'decoding,generation', '--onednn', 'off'];
        const apps = [...g, '--intra-op-threads', '1'];
        record(`tformer ${backend} generating`, () => tsx('./compare-tformer.ts', apps));
      }
      const python = where.python;
      if (backend === backends[0] && python) {
        const script = join(repo, 'scripts/bench/torch_train.py');
        record('pytorch', () => child(python, [script, '--steps', args.steps, '--threads', '1']));
      }
      if (where.gptTfjs) {
        const g = ['--path', where.gptTfjs, '--backend', backend, ...common];
        record(`gpt-tfjs ${backend}`, () =>
          tsx('./compare-gpt-tfjs.ts', g, nodePath ? { NODE_PATH: nodePath } : {}),
        );
      }
    }
    if (where.python && where.ort) {
      const o = ['--work', work, '--python', where.python, '--ort', where.ort];
      record('onnxruntime', () =>
        tsx('./compare-onnx.ts', [...o, '--contexts', args.contexts, '--tokens', args.tokens]),
      );
    }
  }
  rmSync(work, { recursive: true, force: true });
  return {
    raw,
    loads,
    why: where.why,
    backends,
    contexts,
    ortVersion: where.ort
      ? JSON.parse(readFileSync(join(where.ort, 'package.json'), 'utf8')).version
      : undefined,
    command:
      `pnpm --filter @tformer/bench compare --rounds ${rounds} --steps ${args.steps} --tokens ${args.tokens}` +
      (where.gptTfjs ? ' --gpt-tfjs <checkout>' : ''),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}${args.note ? ` (${args.note})` : ''}`,
    date: new Date().toISOString().slice(0, 10),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repo,
      encoding: 'utf8',
    }).stdout?.trim(),
  };
}

const run: CompareRun = args.from ? JSON.parse(readFileSync(args.from, 'utf8')) : measure();
if (args.json && !args.from) writeFileSync(args.json, `${JSON.stringify(run, null, 1)}\n`);
const section = summarize(run);
if (args.doc === '-') {
  process.stdout.write(`${section}\n`);
} else {
  const doc = existsSync(args.doc) ? readFileSync(args.doc, 'utf8') : '# Benchmarks\n';
  const tmp = `${args.doc}.${process.pid}.tmp`;
  writeFileSync(tmp, replaceSection(doc, 'compare', section));
  renameSync(tmp, args.doc);
  process.stderr.write(`wrote the compare section of ${args.doc}\n`);
}
