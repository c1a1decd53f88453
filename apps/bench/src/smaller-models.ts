/**
 * Three ways to make the trained teacher smaller, each against the teacher's validation loss:
 * int8/int4 weight quantization, distillation into a ≤ 1/4-size student (against the same student
 * trained from scratch, several seeds), and structured pruning with a short fine-tune.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { headAblation } from '@tformer/interpret';
import {
  DecoderLM,
  type DecoderLMConfig,
  decodeModel,
  encodeModel,
  encodeQuantizedModel,
  ffnUnitImportance,
  keepTopScores,
  pruneDecoderLM,
} from '@tformer/model';
import { distillationLoss } from '@tformer/train';
import { type CharLMBench, fmt, type Loss, lastLoss, nextToken, signed } from './char-lm.js';
import { mean, sd, section, table } from './efficiency-report.js';
import { type ChartPoint, renderChartSvg } from './plots.js';

/**
 * The student: the teacher's recipe at half its width and depth (2×2×64 for the 4×4×128 baby);
 * the widths that follow from dModel and numHeads are left to their defaults.
 */
export function studentConfig(teacher: DecoderLMConfig): DecoderLMConfig {
  const { numKeyValueHeads: _kv, headSize: _hs, dFF: _ff, ...recipe } = teacher;
  return { ...recipe, numLayers: 2, numHeads: 2, dModel: 64 };
}

export interface SmallerModelsOptions {
  teacher: DecoderLM;
  teacherSteps: number;
  studentSteps: number;
  seeds: number;
  finetuneSteps: number;
  /** The markdown file; figures go beside it. */
  doc: string;
  log: (line: string) => void;
}

/** Runs the three studies on a trained teacher; returns the report's markdown sections. */
export async function smallerModels(bench: CharLMBench, o: SmallerModelsOptions): Promise<string> {
  const { teacher, log } = o;
  const teacherLoss = await bench.valLoss(teacher);
  const teacherParams = teacher.parameterCount();
  const floatBytes = (await encodeModel(teacher)).weights.length;
  const sizePoints: ChartPoint[] = [{ x: floatBytes, y: teacherLoss, series: 'teacher float32' }];
  const sections: string[] = [];

  // 1. Quantization: file sizes and validation loss of the dequantized model.
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
    const loss = await bench.valLoss(restored);
    restored.dispose();
    const ratio = floatBytes / weights.length;
    quantRows.push([
      label,
      weights.length.toLocaleString('en'),
      `${ratio.toFixed(2)}×`,
      fmt(loss),
      signed(loss - teacherLoss),
    ]);
    sizePoints.push({ x: weights.length, y: loss, series: label });
    log(`${label}: ${ratio.toFixed(2)}× smaller, val ${fmt(loss)}`);
  }
  sections.push(
    section(
      'Quantization',
      `The teacher (\`baby\` 4×4×128, ${teacherParams.toLocaleString('en')} parameters, ${o.teacherSteps} steps). Size is the whole \`model.safetensors\` (header, scales and the float32 LayerNorms included); loss is the validation loss of the model loaded back (dequantized).`,
      table(['weights', 'bytes', 'smaller', 'val loss', 'Δ vs float'], quantRows),
    ),
  );

  // 2. Distillation vs scratch: same student, steps, data order and seed.
  const STUDENT = studentConfig(teacher.config);
  teacher.eval();
  const distill: Loss = (student, x, y) =>
    distillationLoss(student.apply(x), teacher.apply(x), y, { temperature: 2, alpha: 0.5 });
  const results = { scratch: [] as number[], distilled: [] as number[] };
  const curves: ChartPoint[] = [];
  let studentParams = 0;
  let studentBytes = 0;
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const kind of ['scratch', 'distilled'] as const) {
      const student = new DecoderLM(STUDENT, { rng: 100 + seed });
      studentParams = student.parameterCount();
      studentBytes = (await encodeModel(student)).weights.length;
      const loss = kind === 'scratch' ? nextToken : distill;
      const run = await bench.train(student, o.studentSteps, 100 + seed, loss);
      results[kind].push(lastLoss(run.curve));
      for (const p of run.curve) curves.push({ x: p.step, y: p.loss, series: `${kind} ${seed}` });
      student.dispose();
      log(`student ${kind} seed ${seed}: val ${fmt(lastLoss(run.curve))}`);
    }
  }
  teacher.train();
  for (const kind of ['scratch', 'distilled'] as const) {
    sizePoints.push({ x: studentBytes, y: mean(results[kind]), series: `student, ${kind}` });
  }
  const docDir = dirname(o.doc);
  writeFileSync(
    join(docDir, 'efficiency-distill.svg'),
    await renderChartSvg(curves, {
      title: 'student validation loss: distilled vs from scratch (per seed)',
      x: { title: 'step' },
      y: { title: 'mean cross-entropy (nats/char)' },
      mark: 'line',
    }),
  );
  sections.push(
    section(
      'Distillation',
      `Student 2×2×64 (${studentParams.toLocaleString('en')} parameters, ${(studentParams / teacherParams).toFixed(3)} of the teacher's), ${o.studentSteps} steps, batch 12×${bench.ctx}, seeds 1…${o.seeds} (the seed sets the initial weights and the batches, the same for both). Distilled: 0.5·T²·KL(teacher_T ‖ student_T) + 0.5·CE at T = 2, teacher logits computed on the fly (a disk cache of them is measured in the next section). Curves: [efficiency-distill.svg](efficiency-distill.svg).`,
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

  // 3. Structured pruning: head importance by ablation on training windows, FFN units by magnitude.
  const probe = bench.batches(7)();
  const { delta } = await headAblation(teacher, probe.x);
  tf.dispose([probe.x, probe.y]);
  const c = teacher.config;
  const keptHeads = keepTopScores(delta, (c.numHeads * 3) / 4);
  const keptUnits = keepTopScores(await ffnUnitImportance(teacher), Math.round(c.dFF * 0.625));
  const pruned = pruneDecoderLM(teacher, { heads: keptHeads, ffnUnits: keptUnits });
  const prunedLoss = await bench.valLoss(pruned);
  const prunedBytes = (await encodeModel(pruned)).weights.length;
  const tuned = await bench.train(pruned, o.finetuneSteps, 3);
  const tunedLoss = lastLoss(tuned.curve);
  const removed = 1 - pruned.parameterCount() / teacherParams;
  sizePoints.push({ x: prunedBytes, y: tunedLoss, series: 'pruned + fine-tune' });
  log(`pruned ${fmt(100 * removed, 1)}%: val ${fmt(prunedLoss)} → ${fmt(tunedLoss)}`);
  const prunedRow = (label: string, loss: number) => [
    label,
    pruned.parameterCount().toLocaleString('en'),
    `${(100 * removed).toFixed(1)}%`,
    fmt(loss),
    signed(loss - teacherLoss),
  ];
  sections.push(
    section(
      'Pruning',
      `Heads ${c.numHeads} → ${keptHeads[0]!.length} per layer (kept: the largest loss increase when zero-ablated on one batch of training windows: ${keptHeads.map((h) => `[${h}]`).join(' ')}), FFN units ${c.dFF} → ${keptUnits[0]!.length} per layer (kept: the largest ‖W_in[:, j]‖·‖W_out[j, :]‖), then ${o.finetuneSteps} fine-tuning steps (the baby recipe's schedule over those steps). The saved tensors are smaller (${prunedBytes.toLocaleString('en')} bytes against ${floatBytes.toLocaleString('en')}), not masked.`,
      table(
        ['model', 'parameters', 'removed', 'val loss', 'Δ vs teacher'],
        [
          ['teacher', teacherParams.toLocaleString('en'), '—', fmt(teacherLoss), '—'],
          prunedRow('pruned', prunedLoss),
          prunedRow(`pruned + ${o.finetuneSteps} steps`, tunedLoss),
        ],
      ),
    ),
  );
  pruned.dispose();

  writeFileSync(
    join(docDir, 'efficiency-size.svg'),
    await renderChartSvg(sizePoints, {
      title: 'validation loss against weights-file size',
      x: { title: 'model.safetensors bytes (log scale)', log: true },
      y: { title: 'mean cross-entropy (nats/char)' },
      mark: 'point',
    }),
  );
  sections.push(
    section(
      'Loss against size',
      'Every model above on one plot (students: the mean over seeds; pruned: after its fine-tune).',
      '![validation loss against weights-file size](efficiency-size.svg)',
    ),
  );
  return sections.join('\n');
}
