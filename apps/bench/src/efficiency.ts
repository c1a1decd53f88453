/**
 * Smaller models, measured on Tiny Shakespeare (character level): int8 and 4-bit weight
 * quantization, distillation into a ≤ 1/4-size student against the same student trained from
 * scratch, structured pruning (heads + FFN units) with a short fine-tune, and the attention
 * variants' parameters and KV-cache bytes. Writes the tables between the `efficiency` markers of
 * docs/efficiency.md (and two SVG figures beside it).
 *
 * The teacher is nanoGPT's `baby` 4×4×128 ctx-64 configuration, trained here for far fewer steps
 * than nanoGPT's 2,000 so that the whole bench runs in minutes on 2 shared cores.
 *
 * Data: the file in $TFORMER_SHAKESPEARE or `--data` (Tiny Shakespeare's input.txt); without
 * one the bench says so and exits 0.
 *
 * Usage: pnpm --filter @tformer/bench efficiency [--backend wasm] [--teacher-steps 300]
 *   [--student-steps 300] [--seeds 3] [--finetune-steps 100] [--variant-steps 0] [--doc path]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { renderLossSvg } from '@tformer/app-kit';
import { type BackendName, selectBackend } from '@tformer/backend';
import { headAblation } from '@tformer/interpret';
import {
  DECODER_LM_PRESETS,
  DecoderLM,
  type DecoderLMConfig,
  decodeModel,
  encodeModel,
  encodeQuantizedModel,
  ffnUnitImportance,
  keepTopScores,
  pruneDecoderLM,
} from '@tformer/model';
import { createRng } from '@tformer/nn';
import {
  AdamW,
  clipByGlobalNorm,
  crossEntropy,
  distillationLoss,
  WarmupCosineSchedule,
} from '@tformer/train';
import { type Curve, mean, sd, section, table } from './efficiency-report.js';

const DOC = fileURLToPath(new URL('../../../docs/efficiency.md', import.meta.url));
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    data: { type: 'string', default: process.env.TFORMER_SHAKESPEARE ?? '' },
    'teacher-steps': { type: 'string', default: '300' },
    'student-steps': { type: 'string', default: '300' },
    seeds: { type: 'string', default: '3' },
    'finetune-steps': { type: 'string', default: '100' },
    'variant-steps': { type: 'string', default: '0' },
    'eval-windows': { type: 'string', default: '256' },
    doc: { type: 'string', default: DOC },
  },
});
if (!args.data || !existsSync(args.data)) {
  console.log(
    `SKIP: Tiny Shakespeare not found (${args.data || 'set TFORMER_SHAKESPEARE or pass --data <input.txt>'}); nothing to run.`,
  );
  process.exit(0);
}
const started = performance.now();
const loadStart = loadavg()[0]!;
const BATCH = 12;
const TEACHER: DecoderLMConfig = { ...DECODER_LM_PRESETS.baby };
const CTX = TEACHER.maxLength;
const STUDENT: DecoderLMConfig = { ...TEACHER, numLayers: 2, numHeads: 2, dModel: 64 };

// Character vocabulary as nanoGPT's prepare.py: sorted unique characters; 90/10 split.
const text = readFileSync(args.data, 'utf8');
const chars = [...new Set(text)].sort();
const index = new Map(chars.map((c, i) => [c, i]));
const ids = Int32Array.from(text, (c) => index.get(c)!);
const cut = Math.floor(0.9 * ids.length);
const trainIds = ids.subarray(0, cut);
const valIds = ids.subarray(cut);
TEACHER.vocabSize = STUDENT.vocabSize = chars.length;

const selection = await selectBackend(args.backend as BackendName);
console.log(`backend ${selection.name}; ${ids.length} chars, vocab ${chars.length}`);

/** Random training windows, nanoGPT's get_batch, from a seeded stream. */
function batches(seed: number): () => { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(seed);
  return () => {
    const x = new Int32Array(BATCH * CTX);
    const y = new Int32Array(BATCH * CTX);
    for (let b = 0; b < BATCH; b++) {
      const i = Math.floor(rng.uniform(0, trainIds.length - CTX - 1));
      x.set(trainIds.subarray(i, i + CTX), b * CTX);
      y.set(trainIds.subarray(i + 1, i + 1 + CTX), b * CTX);
    }
    return { x: tf.tensor2d(x, [BATCH, CTX], 'int32'), y: tf.tensor2d(y, [BATCH, CTX], 'int32') };
  };
}

/** Mean cross-entropy over the first `eval-windows` consecutive validation windows: no noise. */
async function valLoss(model: DecoderLM): Promise<number> {
  const windows = Math.min(Number(args['eval-windows']), Math.floor((valIds.length - 1) / CTX));
  model.eval();
  let sum = 0;
  for (let w0 = 0; w0 < windows; w0 += 64) {
    const n = Math.min(64, windows - w0);
    const from = w0 * CTX;
    const x = tf.tensor2d(valIds.subarray(from, from + n * CTX), [n, CTX], 'int32');
    const y = tf.tensor2d(valIds.subarray(from + 1, from + 1 + n * CTX), [n, CTX], 'int32');
    const loss = tf.tidy(() => crossEntropy(model.apply(x), y));
    sum += n * (await loss.data())[0]!;
    tf.dispose([x, y, loss]);
  }
  model.train();
  return sum / windows;
}

type Loss = (model: DecoderLM, x: tf.Tensor2D, y: tf.Tensor2D) => tf.Scalar;
const nextToken: Loss = (model, x, y) => crossEntropy(model.apply(x), y);

/**
 * Trains `model` for `steps` AdamW steps (nanoGPT's baby recipe: lr 1e-3, β₂ 0.99, warmup then
 * cosine to 1e-4, clip 1); validation loss every `every` steps. Returns the curve and tokens/s.
 */
async function train(
  model: DecoderLM,
  steps: number,
  seed: number,
  loss: Loss = nextToken,
  every = 50,
): Promise<{ curve: Curve; tokensPerS: number }> {
  const next = batches(seed);
  const optimizer = new AdamW(model.namedParameters(), { beta2: 0.99, weightDecay: 0.1 });
  const schedule = new WarmupCosineSchedule({
    peakLearningRate: 1e-3,
    warmupSteps: Math.min(50, Math.floor(steps / 5)),
    totalSteps: steps,
    minLearningRate: 1e-4,
  });
  const params = model.trainableParameters();
  const curve: Curve = [{ step: 0, loss: await valLoss(model) }];
  let ms = 0;
  for (let step = 1; step <= steps; step++) {
    const t0 = performance.now();
    const { x, y } = next();
    const { value, grads } = tf.variableGrads(() => loss(model, x, y), params);
    const clipped = clipByGlobalNorm(grads, 1);
    optimizer.step(clipped.grads, schedule.learningRate(step));
    await value.data(); // one sync per step, so the timing covers the work
    tf.dispose([
      x,
      y,
      value,
      clipped.norm,
      ...Object.values(grads),
      ...Object.values(clipped.grads),
    ]);
    ms += performance.now() - t0;
    if (step % every === 0 || step === steps) curve.push({ step, loss: await valLoss(model) });
  }
  optimizer.dispose();
  return { curve, tokensPerS: (steps * BATCH * CTX) / (ms / 1000) };
}

const last = (curve: Curve) => curve[curve.length - 1]!.loss;
const fmt = (x: number, d = 4) => x.toFixed(d);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
const log = (s: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);
const sections: string[] = [];

// 1. The teacher.
const teacherSteps = Number(args['teacher-steps']);
const teacher = new DecoderLM(TEACHER, { rng: 1 });
const teacherRun = await train(teacher, teacherSteps, 1);
const teacherLoss = last(teacherRun.curve);
log(
  `teacher ${teacher.parameterCount()} params: val ${fmt(teacherLoss)}, ${Math.round(teacherRun.tokensPerS)} tokens/s`,
);

// 2. Quantization: file sizes and validation loss of the dequantized model.
const floatBytes = (await encodeModel(teacher)).weights.length;
const quantRows: string[][] = [
  ['float32', floatBytes.toLocaleString('en'), '1.00×', fmt(teacherLoss), '—'],
];
for (const [label, options] of [
  ['int8 per channel', { scheme: 'int8' }],
  ['int4, groups of 32', { scheme: 'int4', groupSize: 32 }],
  ['int4, groups of 64', { scheme: 'int4', groupSize: 64 }],
  ['int4, groups of 128', { scheme: 'int4', groupSize: 128 }],
] as const) {
  const { config, weights } = await encodeQuantizedModel(teacher, options);
  const restored = decodeModel(config, weights) as DecoderLM;
  const loss = await valLoss(restored);
  restored.dispose();
  const ratio = floatBytes / weights.length;
  quantRows.push([
    label,
    weights.length.toLocaleString('en'),
    `${ratio.toFixed(2)}×`,
    fmt(loss),
    signed(loss - teacherLoss),
  ]);
  log(`${label}: ${ratio.toFixed(2)}× smaller, val ${fmt(loss)}`);
}
sections.push(
  section(
    'Quantization',
    `The teacher (\`baby\` 4×4×128, ${teacher.parameterCount().toLocaleString('en')} parameters, ${teacherSteps} steps). Size is the whole \`model.safetensors\` (header, scales and the float32 LayerNorms included); loss is the validation loss of the model loaded back (dequantized).`,
    table(['weights', 'bytes', 'smaller', 'val loss', 'Δ vs float'], quantRows),
  ),
);

// 3. Distillation vs scratch: same student, steps, data order and seed.
const studentSteps = Number(args['student-steps']);
const seeds = Number(args.seeds);
teacher.eval();
const distill: Loss = (student, x, y) =>
  distillationLoss(student.apply(x), teacher.apply(x), y, { temperature: 2, alpha: 0.5 });
const results = { scratch: [] as number[], distilled: [] as number[] };
const curves: { step: number; loss: number; split: string }[] = [];
let studentParams = 0;
for (let seed = 1; seed <= seeds; seed++) {
  for (const kind of ['scratch', 'distilled'] as const) {
    const student = new DecoderLM(STUDENT, { rng: 100 + seed });
    studentParams = student.parameterCount();
    const run = await train(
      student,
      studentSteps,
      100 + seed,
      kind === 'scratch' ? nextToken : distill,
    );
    results[kind].push(last(run.curve));
    for (const p of run.curve) curves.push({ ...p, split: `${kind} seed ${seed}` });
    student.dispose();
    log(
      `student ${kind} seed ${seed}: val ${fmt(last(run.curve))}, ${Math.round(run.tokensPerS)} tokens/s`,
    );
  }
}
const docDir = dirname(args.doc);
writeFileSync(
  join(docDir, 'efficiency-distill.svg'),
  await renderLossSvg(curves, 'student validation loss: distilled vs scratch'),
);
sections.push(
  section(
    'Distillation',
    `Student 2×2×64 (${studentParams.toLocaleString('en')} parameters, ${(studentParams / teacher.parameterCount()).toFixed(3)} of the teacher's), ${studentSteps} steps, batch ${BATCH}×${CTX}, seeds 1…${seeds} (the seed sets the initial weights and the batches, the same for both). Distilled: 0.5·T²·KL(teacher_T ‖ student_T) + 0.5·CE at T = 2, teacher logits computed on the fly. Curves: [efficiency-distill.svg](efficiency-distill.svg).`,
    table(
      ['student', 'val loss per seed', 'mean ± sd'],
      (['scratch', 'distilled'] as const).map((k) => [
        k,
        results[k].map((l) => fmt(l)).join(', '),
        `${fmt(mean(results[k]))} ± ${fmt(sd(results[k]))}`,
      ]),
    ),
  ),
);

// 4. Structured pruning: head importance by ablation on training windows, FFN units by magnitude.
const finetuneSteps = Number(args['finetune-steps']);
const probe = batches(7)();
const { delta } = await headAblation(teacher, probe.x);
tf.dispose([probe.x, probe.y]);
const keptHeads = keepTopScores(delta, (TEACHER.numHeads * 3) / 4);
const keptUnits = keepTopScores(
  await ffnUnitImportance(teacher),
  Math.round(teacher.config.dFF * 0.625),
);
const pruned = pruneDecoderLM(teacher, { heads: keptHeads, ffnUnits: keptUnits });
const prunedLoss = await valLoss(pruned);
const tuned = await train(pruned, finetuneSteps, 3);
const removed = 1 - pruned.parameterCount() / teacher.parameterCount();
log(`pruned ${fmt(100 * removed, 1)}%: val ${fmt(prunedLoss)} → ${fmt(last(tuned.curve))}`);
sections.push(
  section(
    'Pruning',
    `Heads 4 → 3 per layer (kept: the largest loss increase when zero-ablated on one batch of training windows: ${keptHeads.map((h) => `[${h}]`).join(' ')}), FFN units 512 → ${keptUnits[0]!.length} per layer (kept: the largest ‖W_in[:, j]‖·‖W_out[j, :]‖), then ${finetuneSteps} fine-tuning steps.`,
    table(
      ['model', 'parameters', 'removed', 'val loss', 'Δ vs teacher'],
      [
        ['teacher', teacher.parameterCount().toLocaleString('en'), '—', fmt(teacherLoss), '—'],
        [
          'pruned',
          pruned.parameterCount().toLocaleString('en'),
          `${(100 * removed).toFixed(1)}%`,
          fmt(prunedLoss),
          signed(prunedLoss - teacherLoss),
        ],
        [
          `pruned + ${finetuneSteps} steps`,
          pruned.parameterCount().toLocaleString('en'),
          `${(100 * removed).toFixed(1)}%`,
          fmt(last(tuned.curve)),
          signed(last(tuned.curve) - teacherLoss),
        ],
      ],
    ),
  ),
);
pruned.dispose();

// 5. Attention variants at the teacher's size: closed-form sizes, optionally a short training run.
const variantSteps = Number(args['variant-steps']);
const variantRows: string[][] = [];
for (const [label, extra] of [
  ['MHA, learned positions', {}],
  ['GQA, 2 KV heads', { numKeyValueHeads: 2 }],
  ['MQA (1 KV head)', { numKeyValueHeads: 1 }],
  ['MHA, RoPE', { position: 'rope' }],
] as const) {
  const config = { ...TEACHER, ...extra };
  const model = new DecoderLM(config, { rng: 1 });
  const c = model.config;
  const kvBytes = c.numLayers * 2 * c.numKeyValueHeads * c.headSize * 4;
  const row = [label, model.parameterCount().toLocaleString('en'), kvBytes.toLocaleString('en')];
  if (variantSteps > 0) {
    const run = await train(model, variantSteps, 1);
    row.push(Math.round(run.tokensPerS).toLocaleString('en'), fmt(last(run.curve)));
    log(`${label}: val ${fmt(last(run.curve))}`);
  }
  variantRows.push(row);
  model.dispose();
}
sections.push(
  section(
    'Attention variants',
    `The teacher's size; KV-cache bytes per generated token (float32, all layers: 2 · layers · KV heads · head size · 4).${variantSteps > 0 ? ` Trained ${variantSteps} steps each, seed 1.` : ' Not trained in this run (`--variant-steps 0`).'}`,
    table(
      [
        'variant',
        'parameters',
        'KV bytes/token',
        ...(variantSteps > 0 ? ['train tokens/s', 'val loss'] : []),
      ],
      variantRows,
    ),
  ),
);

// The report.
const header = `Measured ${new Date().toISOString().slice(0, 10)} by \`pnpm --filter @tformer/bench efficiency\` (apps/bench/src/efficiency.ts) on backend ${selection.name}, 2 shared vCPUs; 1-minute load average ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end; wall time ${((performance.now() - started) / 60000).toFixed(1)} min. Validation loss: mean cross-entropy (nats/character) over the first ${args['eval-windows']} consecutive ${CTX}-character windows of the validation split. Teacher: ${teacherSteps} steps, tokens/s ${Math.round(teacherRun.tokensPerS)}.`;
const doc = existsSync(args.doc)
  ? readFileSync(args.doc, 'utf8')
  : '<!-- efficiency:start -->\n<!-- efficiency:end -->\n';
const [before, rest] = doc.split('<!-- efficiency:start -->');
const after = rest?.split('<!-- efficiency:end -->')[1] ?? '\n';
writeFileSync(
  args.doc,
  `${before}<!-- efficiency:start -->\n${header}\n\n${sections.join('\n')}<!-- efficiency:end -->${after}`,
);
teacher.dispose();
log(`wrote ${args.doc}`);
