/**
 * The character-level language-model harness the efficiency benches share: Tiny Shakespeare read
 * as nanoGPT's `prepare.py` does, nanoGPT's random training windows, an exact validation loss,
 * and nanoGPT's `baby` training recipe.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { DecoderLM } from '@tformer/model';
import { createRng } from '@tformer/nn';
import { AdamW, clipByGlobalNorm, crossEntropy, WarmupCosineSchedule } from '@tformer/train';
import type { Curve } from './efficiency-report.js';

export const BATCH = 12;

export interface CharData {
  chars: string[];
  trainIds: Int32Array;
  valIds: Int32Array;
}

/**
 * Tiny Shakespeare (or any text file) as character ids: sorted unique characters, 90/10 split.
 * Without the file it prints why and exits 0: the benches never download data.
 */
export function loadCharData(path: string): CharData {
  if (!path || !existsSync(path)) {
    console.log(
      `SKIP: Tiny Shakespeare not found (${path || 'set TFORMER_SHAKESPEARE or pass --data <input.txt>'}); nothing to run.`,
    );
    process.exit(0);
  }
  const text = readFileSync(path, 'utf8');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(text, (c) => index.get(c)!);
  const cut = Math.floor(0.9 * ids.length);
  return { chars, trainIds: ids.subarray(0, cut), valIds: ids.subarray(cut) };
}

export type Loss = (model: DecoderLM, x: tf.Tensor2D, y: tf.Tensor2D) => tf.Scalar;
export const nextToken: Loss = (model, x, y) => crossEntropy(model.apply(x), y);

export class CharLMBench {
  constructor(
    readonly data: CharData,
    readonly ctx: number,
    /** How many consecutive validation windows the loss averages over. */
    readonly evalWindows: number,
  ) {}

  /** Random training windows, nanoGPT's get_batch, from a seeded stream. */
  batches(seed: number): () => { x: tf.Tensor2D; y: tf.Tensor2D } {
    const { trainIds } = this.data;
    const rng = createRng(seed);
    const T = this.ctx;
    return () => {
      const x = new Int32Array(BATCH * T);
      const y = new Int32Array(BATCH * T);
      for (let b = 0; b < BATCH; b++) {
        const i = Math.floor(rng.uniform(0, trainIds.length - T - 1));
        x.set(trainIds.subarray(i, i + T), b * T);
        y.set(trainIds.subarray(i + 1, i + 1 + T), b * T);
      }
      return { x: tf.tensor2d(x, [BATCH, T], 'int32'), y: tf.tensor2d(y, [BATCH, T], 'int32') };
    };
  }

  /** Mean cross-entropy over the first `evalWindows` consecutive validation windows: no noise. */
  async valLoss(model: DecoderLM): Promise<number> {
    const { valIds } = this.data;
    const T = this.ctx;
    const windows = Math.min(this.evalWindows, Math.floor((valIds.length - 1) / T));
    model.eval();
    let sum = 0;
    for (let w0 = 0; w0 < windows; w0 += 64) {
      const n = Math.min(64, windows - w0);
      const from = w0 * T;
      const x = tf.tensor2d(valIds.subarray(from, from + n * T), [n, T], 'int32');
      const y = tf.tensor2d(valIds.subarray(from + 1, from + 1 + n * T), [n, T], 'int32');
      const loss = tf.tidy(() => crossEntropy(model.apply(x), y));
      sum += n * (await loss.data())[0]!;
      tf.dispose([x, y, loss]);
    }
    model.train();
    return sum / windows;
  }

  /**
   * Trains `model` for `steps` AdamW steps (nanoGPT's baby recipe: lr 1e-3, β₂ 0.99, warmup then
   * cosine to 1e-4, clip 1); validation loss every `every` steps. Returns the curve and the
   * training tokens/s (evaluation excluded).
   */
  async train(
    model: DecoderLM,
    steps: number,
    seed: number,
    loss: Loss = nextToken,
    every = 50,
  ): Promise<{ curve: Curve; tokensPerS: number }> {
    const next = this.batches(seed);
    const optimizer = new AdamW(model.namedParameters(), { beta2: 0.99, weightDecay: 0.1 });
    const schedule = new WarmupCosineSchedule({
      peakLearningRate: 1e-3,
      warmupSteps: Math.min(100, Math.floor(steps / 5)),
      totalSteps: steps,
      minLearningRate: 1e-4,
    });
    const params = model.trainableParameters();
    const curve: Curve = [{ step: 0, loss: await this.valLoss(model) }];
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
      if (step % every === 0 || step === steps) {
        curve.push({ step, loss: await this.valLoss(model) });
      }
    }
    optimizer.dispose();
    return { curve, tokensPerS: (steps * BATCH * this.ctx) / (ms / 1000) };
  }
}

export const lastLoss = (curve: Curve): number => curve[curve.length - 1]!.loss;
export const fmt = (x: number, d = 4): string => x.toFixed(d);
export const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
