import * as tf from '@tensorflow/tfjs-core';
import { type AttributionTarget, targetLogit } from './attribution-target.js';
import { InterpretError } from './errors.js';
import {
  disposeInput,
  embeddingPoint,
  type InterpretableModel,
  type ModelInput,
  repeatRow,
  runModel,
} from './hooked-model.js';
import { runWithCache } from './run-with-cache.js';

export interface IntegratedGradientsOptions {
  /** Intervals m of the path integral (m + 1 gradient evaluations per row). Default 32. */
  steps?: number;
  /** Baseline embeddings `[T, C]` or `[B, T, C]`; default zeros (positions are still added). */
  baseline?: tf.Tensor;
}

export interface IntegratedGradientsResult {
  /** `[B, T]`: Σ_d over each token's embedding. The caller disposes it. */
  attributions: tf.Tensor2D;
  /** f(x) per row: the target logit at the input. */
  output: number[];
  /** f(x′) per row: the target logit at the baseline. */
  baselineOutput: number[];
  /**
   * Completeness gap per row, Σ attributions − (f(x) − f(x′)): zero for the exact integral; the
   * trapezoid rule makes it O(1/m²).
   */
  delta: number[];
}

/**
 * Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep
 * Networks"): (x − x′) · ∫₀¹ ∂f/∂x (x′ + α(x − x′)) dα over the token embeddings x (baseline x′),
 * summed per token, for the logit f of `target.token` at `target.position`. The integral is the
 * trapezoid rule over `steps` intervals, its m + 1 points run as one batch per input row.
 * Completeness: the attributions sum to f(x) − f(x′) up to `delta` (reported).
 *
 * @example
 * ```ts
 * const ig = await integratedGradients(model, ids, { token: 5 }, { steps: 32 });
 * ig.attributions; // [B, T]; ig.delta ≈ 0
 * ig.attributions.dispose();
 * ```
 */
export async function integratedGradients(
  model: InterpretableModel,
  input: ModelInput,
  target: AttributionTarget,
  { steps = 32, baseline }: IntegratedGradientsOptions = {},
): Promise<IntegratedGradientsResult> {
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new InterpretError(`steps: expected a positive integer, got ${steps}`);
  }
  const point = embeddingPoint(model);
  const { logits, cache } = runWithCache(model, input, [point]);
  tf.dispose(logits);
  const x = cache.get(point); // [B, T, C]
  const [B, T, C] = x.shape as [number, number, number];
  if (baseline && baseline.shape.slice(-2).join() !== [T, C].join()) {
    cache.dispose();
    throw new InterpretError(
      `baseline: expected [T, C] or [B, T, C] = [${T}, ${C}], got [${baseline.shape.join(', ')}]`,
    );
  }
  const rows: tf.Tensor1D[] = [];
  const output: number[] = [];
  const baselineOutput: number[] = [];
  try {
    for (let b = 0; b < B; b++) {
      const repeated = repeatRow(input, b, steps + 1);
      try {
        const [attribution, ends] = tf.tidy(() => {
          const xb = tf.slice(x, [b, 0, 0], [1, T, C]); // [1, T, C]
          const base = baseline
            ? tf.reshape(
                baseline.rank === 3 ? tf.slice(baseline, [b, 0, 0], [1, T, C]) : baseline,
                [1, T, C],
              )
            : tf.zerosLike(xb);
          const alphas = tf.reshape(tf.linspace(0, 1, steps + 1), [steps + 1, 1, 1]);
          const path = tf.add(base, tf.mul(alphas, tf.sub(xb, base))); // [m + 1, T, C]
          const f = (e: tf.Tensor) =>
            targetLogit(runModel(model, repeated, { [point]: () => e }), target);
          const { value, grad } = tf.valueAndGrad((e: tf.Tensor) => tf.sum(f(e)))(path);
          value.dispose();
          const w = Array.from(
            { length: steps + 1 },
            (_, k) => (k === 0 || k === steps ? 0.5 : 1) / steps,
          );
          const mean = tf.sum(tf.mul(grad, tf.reshape(tf.tensor1d(w), [steps + 1, 1, 1])), 0); // [T, C]
          const attr = tf.sum(tf.mul(tf.squeeze(tf.sub(xb, base), [0]), mean), -1) as tf.Tensor1D; // [T]
          const values = f(path); // [m + 1]
          return [attr, tf.gather(values, [0, steps])];
        });
        const [f0, f1] = await ends.data();
        ends.dispose();
        rows.push(attribution);
        baselineOutput.push(f0!);
        output.push(f1!);
      } finally {
        disposeInput(repeated);
      }
    }
  } catch (error) {
    tf.dispose(rows);
    throw error;
  } finally {
    cache.dispose();
  }
  const attributions = tf.stack(rows) as tf.Tensor2D;
  tf.dispose(rows);
  const summed = tf.sum(attributions, -1);
  const sums = (await summed.array()) as number[];
  summed.dispose();
  return {
    attributions,
    output,
    baselineOutput,
    delta: sums.map((s, b) => s - (output[b]! - baselineOutput[b]!)),
  };
}
