/**
 * onnxruntime-node's side of `compare.ts`: the model tformer's `perf.ts` decodes (the `baby`
 * config with `gelu_tanh` and `maxLength` 1024, seed 7) saved as a Hugging Face GPT-2 folder,
 * exported to ONNX by the repository's `interop/python/export_onnx.py` (ids → logits, no KV
 * cache), and decoded greedily at batch 1: the whole prefix each token, from `context − tokens`
 * ids up to `context`. The export is made once per `--work` folder and reused by later rounds.
 * Writes `{ decoding: [{ context, msPerToken }] }` to `--out`.
 *
 * Usage: tsx src/compare-onnx.ts --work dir --python <venv python> --ort <onnxruntime-node dir>
 *   --out r.json [--contexts 64,256,1024] [--tokens 16] [--warmup 768] (unmeasured runs first)
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM } from '@tformer/model';
import { saveHuggingFace } from '@tformer/model/node';
import { median } from './compare-report.js';

const { values: args } = parseArgs({
  options: {
    work: { type: 'string' },
    python: { type: 'string' },
    ort: { type: 'string' },
    out: { type: 'string' },
    contexts: { type: 'string', default: '64,256,1024' },
    tokens: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '768' },
  },
});
if (!args.work || !args.python || !args.ort || !args.out) {
  throw new Error('compare-onnx: --work, --python, --ort and --out are required');
}
const tokens = Number(args.tokens);
const contexts = args.contexts.split(',').map(Number);
const EXPORTER = fileURLToPath(new URL('../../../interop/python/export_onnx.py', import.meta.url));

/** The slice of onnxruntime-node's API used here. */
interface Ort {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
  InferenceSession: {
    create(path: string): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
    }>;
  };
}

const onnxPath = join(args.work, 'model.onnx');
if (!existsSync(onnxPath)) {
  await selectBackend('wasm');
  const config = { ...DECODER_LM_PRESETS.baby, activation: 'gelu_tanh' as const, maxLength: 1024 };
  const model = new DecoderLM(config, { rng: 7 });
  await saveHuggingFace(join(args.work, 'hf'), model);
  model.dispose();
  await promisify(execFile)(
    args.python,
    [EXPORTER, '--folder', join(args.work, 'hf'), '--out', onnxPath],
    { timeout: 600_000 },
  );
}
const ort = createRequire(join(args.ort, 'package.json'))(args.ort) as Ort;
const session = await ort.InferenceSession.create(onnxPath);
const vocab = DECODER_LM_PRESETS.baby.vocabSize;

/** ms per greedy token without a cache: each token runs the whole prefix. */
async function decode(context: number): Promise<number> {
  const ids = Array.from({ length: context - tokens }, (_, i) => (i * 13) % vocab);
  const ms: number[] = [];
  for (let step = 0; step < tokens; step++) {
    const t0 = performance.now();
    const input = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    const { logits } = await session.run({ input_ids: input });
    const last = logits!.data.subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let i = 1; i < vocab; i++) if (last[i]! > last[best]!) best = i;
    ids.push(best);
    if (step > 0) ms.push(performance.now() - t0); // the first run sets up its shapes
  }
  return median(ms);
}

// Unmeasured runs first, as many as the tokens tformer's `perf.ts` decodes before timing, so
// that V8 has compiled this side's JS (tensor creation, the session's wrapper) just as far.
const first = Array.from({ length: contexts[0]! - tokens }, (_, i) => BigInt((i * 13) % vocab));
for (let i = 0; i < Number(args.warmup); i++) {
  await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(first), [1, first.length]),
  });
}

const decoding = [];
for (const context of contexts) {
  decoding.push({ context, msPerToken: await decode(context) });
}
writeFileSync(args.out, `${JSON.stringify({ decoding })}\n`);
