/**
 * Distillation's teacher logits computed on the fly or read from a disk cache: which wins? The
 * same student steps (same batches) run both ways, alternating, after the cache is written once.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DecoderLM, type DecoderLMConfig } from '@tformer/model';
import { AdamW, distillationLoss } from '@tformer/train';
import { BATCH, type CharLMBench } from './char-lm.js';
import { section, table } from './efficiency-report.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function distillCache(
  bench: CharLMBench,
  teacherConfig: DecoderLMConfig,
  studentConfig: DecoderLMConfig,
  steps: number,
): Promise<string> {
  const teacher = new DecoderLM(teacherConfig, { rng: 1 }).eval();
  const student = new DecoderLM(studentConfig, { rng: 2 });
  const V = teacherConfig.vocabSize;
  const T = bench.ctx;
  const next = bench.batches(11);
  const batches = Array.from({ length: steps }, next);
  const dir = mkdtempSync(join(tmpdir(), 'tformer-distill-cache-'));
  const file = join(dir, 'logits.f32');
  const bytesPerStep = BATCH * T * V * 4;
  try {
    // Writing the cache: one teacher pass per batch, as the first epoch would.
    const fd = openSync(file, 'w');
    const writeStart = performance.now();
    for (const { x } of batches) {
      const logits = teacher.apply(x);
      const data = await logits.data();
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      logits.dispose();
    }
    closeSync(fd);
    const writeMs = (performance.now() - writeStart) / steps;

    const optimizer = new AdamW(student.namedParameters());
    const params = student.trainableParameters();
    const buffer = new Float32Array(BATCH * T * V);
    const readFd = openSync(file, 'r');
    const step = async (i: number, cached: boolean) => {
      const { x, y } = batches[i]!;
      const t0 = performance.now();
      let teacherLogits: tf.Tensor;
      if (cached) {
        readSync(readFd, new Uint8Array(buffer.buffer), 0, bytesPerStep, i * bytesPerStep);
        teacherLogits = tf.tensor3d(buffer, [BATCH, T, V]);
      } else {
        teacherLogits = teacher.apply(x);
      }
      const { value, grads } = tf.variableGrads(
        () => distillationLoss(student.apply(x), teacherLogits, y),
        params,
      );
      optimizer.step(grads, 1e-4);
      await value.data();
      tf.dispose([teacherLogits, value, ...Object.values(grads)]);
      return performance.now() - t0;
    };
    const times = { fly: [] as number[], cached: [] as number[] };
    for (let i = 0; i < steps; i++) {
      // Alternate which goes first so machine noise falls on both alike.
      const order = i % 2 === 0 ? (['fly', 'cached'] as const) : (['cached', 'fly'] as const);
      for (const kind of order) times[kind].push(await step(i, kind === 'cached'));
    }
    closeSync(readFd);
    optimizer.dispose();
    const [fly, cached] = [median(times.fly), median(times.cached)];
    return section(
      'Distillation: teacher logits on the fly or cached',
      `The same ${steps} distillation steps of the student (batch ${BATCH}×${T}, same batches), alternating: teacher forward pass per step against reading that batch's float32 logits (${bytesPerStep.toLocaleString('en')} bytes) from a cache file written beforehand (writing cost a teacher pass plus the write, ${writeMs.toFixed(0)} ms per batch). A cache pays only when the same windows come back (epochs over a fixed set); nanoGPT-style random windows never repeat, and a cache of every step of a ${steps}-step run is ${((steps * bytesPerStep) / 1e6).toFixed(0)} MB.`,
      table(
        ['teacher logits', 'median ms/step', 'ratio'],
        [
          ['on the fly', fly.toFixed(1), '1.00'],
          ['cached on disk', cached.toFixed(1), (cached / fly).toFixed(2)],
        ],
      ),
    );
  } finally {
    teacher.dispose();
    student.dispose();
    tf.dispose(batches.flatMap(({ x, y }) => [x, y]));
    rmSync(dir, { recursive: true, force: true });
  }
}
