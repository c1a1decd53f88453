/**
 * Smaller models and better attention, measured on Tiny Shakespeare (character level): trains
 * nanoGPT's `baby` 4×4×128 ctx-64 teacher with its recipe, then (1) int8 and 4-bit weight
 * quantization, distillation into a ≤ 1/4-size student against the same student trained from
 * scratch, structured pruning with a short fine-tune (smaller-models.ts), whether distillation's
 * teacher logits are better cached on disk (distill-cache.ts), and (2) the attention
 * variants trained side by side (attention-variants.ts). Writes the tables between the
 * `efficiency`, `distill-cache` and `variants` markers of docs/efficiency.md, and SVG figures beside it.
 *
 * Data: the file in $TFORMER_SHAKESPEARE or `--data` (Tiny Shakespeare's input.txt); without
 * one the bench says so and exits 0.
 *
 * Usage: pnpm --filter @tformer/bench efficiency [--backend wasm] [--teacher-steps 2000]
 *   [--student-steps 500] [--seeds 3] [--finetune-steps 200] [--variant-steps 500]
 *   [--cache-steps 40] [--only smaller|cache|variants] [--doc path]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BackendName, selectBackend } from '@tformer/backend';
import { DECODER_LM_PRESETS, DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { attentionVariants } from './attention-variants.js';
import { CharLMBench, fmt, lastLoss, loadCharData } from './char-lm.js';
import { distillCache } from './distill-cache.js';
import { benchClock, writeMarkedSection } from './efficiency-report.js';
import { smallerModels, studentConfig } from './smaller-models.js';

const DOC = fileURLToPath(new URL('../../../docs/efficiency.md', import.meta.url));
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    data: { type: 'string', default: process.env.TFORMER_SHAKESPEARE ?? '' },
    'teacher-steps': { type: 'string', default: '2000' },
    'student-steps': { type: 'string', default: '500' },
    seeds: { type: 'string', default: '3' },
    'finetune-steps': { type: 'string', default: '200' },
    'variant-steps': { type: 'string', default: '500' },
    'eval-windows': { type: 'string', default: '256' },
    'cache-steps': { type: 'string', default: '40' },
    only: { type: 'string' },
    doc: { type: 'string', default: DOC },
  },
});
const data = loadCharData(args.data);
const clock = benchClock();
const { log } = clock;
const selection = await selectBackend(args.backend as BackendName);
const BASE: DecoderLMConfig = { ...DECODER_LM_PRESETS.baby, vocabSize: data.chars.length };
const bench = new CharLMBench(data, BASE.maxLength, Number(args['eval-windows']));
log(
  `backend ${selection.name}; ${data.trainIds.length + data.valIds.length} chars, vocab ${data.chars.length}`,
);

/** The conditions of a part's run, as the first line of its section. */
const header = (what: string) =>
  `Measured ${new Date().toISOString().slice(0, 10)} by \`pnpm --filter @tformer/bench efficiency\` (${what}) ${clock.conditions(selection.name)}; wall time ${clock.minutes().toFixed(1)} min. Validation loss: mean cross-entropy (nats/character) over the first ${args['eval-windows']} consecutive ${BASE.maxLength}-character windows of the validation split; training: nanoGPT's baby recipe (AdamW lr 1e-3, β₂ 0.99, weight decay 0.1, warmup then cosine to 1e-4, clip 1, batch 12).\n\n`;

const runs = (part: string) => args.only === undefined || args.only === part;

if (runs('smaller')) {
  const teacherSteps = Number(args['teacher-steps']);
  const teacher = new DecoderLM(BASE, { rng: 1 });
  const run = await bench.train(teacher, teacherSteps, 1, undefined, 250);
  log(`teacher: val ${fmt(lastLoss(run.curve))}, ${Math.round(run.tokensPerS)} tokens/s`);
  const body = await smallerModels(bench, {
    teacher,
    teacherSteps,
    studentSteps: Number(args['student-steps']),
    seeds: Number(args.seeds),
    finetuneSteps: Number(args['finetune-steps']),
    doc: args.doc,
    log,
  });
  teacher.dispose();
  writeMarkedSection(args.doc, 'efficiency', header('apps/bench/src/smaller-models.ts') + body);
  log(`wrote the smaller-models sections of ${args.doc}`);
}
if (runs('cache')) {
  const steps = Number(args['cache-steps']);
  const body = await distillCache(bench, BASE, studentConfig(BASE), steps);
  writeMarkedSection(args.doc, 'distill-cache', header('apps/bench/src/distill-cache.ts') + body);
  log(`wrote the distillation-cache section of ${args.doc}`);
}
if (runs('variants')) {
  const body = await attentionVariants(bench, {
    base: BASE,
    steps: Number(args['variant-steps']),
    contexts: [64, 256],
    doc: args.doc,
    log,
  });
  writeMarkedSection(args.doc, 'variants', header('apps/bench/src/attention-variants.ts') + body);
  log(`wrote the attention-variants section of ${args.doc}`);
}
