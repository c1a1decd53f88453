/**
 * tformer's side of `compare.ts`, one backend per process: the rank-2 matmul rate, then
 * `perf.ts` itself (imported with its own arguments, so kernels per step and per token, ms per
 * step and per token, the dropout ratio and batched generation are measured by exactly the code
 * `pnpm --filter @tformer/bench perf` runs), then the matmul rate again. Writes one JSON object
 * `{ matmulGflops, perf }` to `--out`.
 *
 * Usage: tsx src/compare-tformer.ts --backend node|wasm --out result.json [--steps 6]
 *   [--tokens 16] [--contexts 64,256,1024] [--parts training,decoding,generation]
 *   [--onednn on|off] [--intra-op-threads n] (node: libtensorflow with or without oneDNN, its
 *   intra-op threads; default the environment's)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BackendName, selectBackend } from '@tformer/backend';
import { matmulGflops } from './compare-matmul.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    steps: { type: 'string', default: '6' },
    tokens: { type: 'string', default: '16' },
    contexts: { type: 'string', default: '64,256,1024' },
    parts: { type: 'string', default: 'training,decoding,generation' },
    onednn: { type: 'string' },
    'intra-op-threads': { type: 'string' },
  },
});
if (!args.out) throw new Error('compare-tformer: --out <file> is required');
if (args.onednn !== undefined && !['on', 'off'].includes(args.onednn))
  throw new Error(`compare-tformer: --onednn: expected on or off, got ${args.onednn}`);

await selectBackend(args.backend as BackendName, {
  ...(args.onednn ? { onednn: args.onednn === 'on' } : {}),
  ...(args['intra-op-threads'] ? { intraOpThreads: Number(args['intra-op-threads']) } : {}),
});
const before = await matmulGflops();
const perfJson = `${args.out}.perf.json`;
// perf.ts reads process.argv when it is evaluated: hand it the arguments it would get from the
// command line, then run it by importing it (it awaits all its work at the top level).
process.argv = [
  process.argv[0]!,
  fileURLToPath(new URL('./perf.ts', import.meta.url)),
  ...['--backend', args.backend, '--steps', args.steps, '--tokens', args.tokens],
  ...['--contexts', args.contexts, '--parts', args.parts, '--json', perfJson],
];
await import('./perf.js');
const after = await matmulGflops();
const result = {
  matmulGflops: Math.max(before, after),
  perf: JSON.parse(readFileSync(perfJson, 'utf8')),
};
writeFileSync(args.out, `${JSON.stringify(result)}\n`);
