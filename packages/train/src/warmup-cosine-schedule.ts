import { InvalidArgumentError } from './errors.js';
import type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
import { checkInteger, checkNumber } from './validate.js';

/** Options of {@link WarmupCosineSchedule}. */
export interface WarmupCosineOptions {
  /** Rate reached at the end of warmup. */
  peakLearningRate: number;
  /** Steps of linear warmup from 0 (may be 0). */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLearningRate`; later steps stay there. */
  totalSteps: number;
  /** Floor of the decay. Default 0 (nanoGPT uses peak / 10). */
  minLearningRate?: number;
}

/**
 * Linear warmup then cosine decay (Loshchilov & Hutter, "SGDR", 2017; the GPT-2/nanoGPT
 * schedule). For the 1-based step s, with warmup w and total n:
 *
 *   s ≤ w:      peak · s / w
 *   w < s < n:  min + ½(1 + cos(π·(s − w)/(n − w)))·(peak − min)
 *   s ≥ n:      min
 *
 * @example
 * ```ts
 * const schedule = new WarmupCosineSchedule({ peakLearningRate: 1e-3, warmupSteps: 100, totalSteps: 5000 });
 * schedule.learningRate(50); // 5e-4
 * ```
 */
export class WarmupCosineSchedule implements LearningRateSchedule {
  readonly peakLearningRate: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLearningRate: number;

  constructor({
    peakLearningRate,
    warmupSteps,
    totalSteps,
    minLearningRate = 0,
  }: WarmupCosineOptions) {
    checkNumber('options.peakLearningRate', peakLearningRate, { min: 0 });
    checkInteger('options.warmupSteps', warmupSteps, 0);
    checkInteger('options.totalSteps', totalSteps, 1);
    checkNumber('options.minLearningRate', minLearningRate, { min: 0, max: peakLearningRate });
    if (totalSteps <= warmupSteps) {
      throw new InvalidArgumentError(
        'options.totalSteps',
        `more than warmupSteps (${warmupSteps})`,
        String(totalSteps),
      );
    }
    this.peakLearningRate = peakLearningRate;
    this.warmupSteps = warmupSteps;
    this.totalSteps = totalSteps;
    this.minLearningRate = minLearningRate;
  }

  learningRate(step: number): number {
    checkInteger('step', step, 1);
    const { peakLearningRate: peak, warmupSteps: w, totalSteps: n, minLearningRate: min } = this;
    if (step <= w) return (peak * step) / w;
    if (step >= n) return min;
    const progress = (step - w) / (n - w);
    return min + 0.5 * (1 + Math.cos(Math.PI * progress)) * (peak - min);
  }

  getConfig(): ScheduleConfig {
    const { peakLearningRate, warmupSteps, totalSteps, minLearningRate } = this;
    return { kind: 'warmup-cosine', peakLearningRate, warmupSteps, totalSteps, minLearningRate };
  }
}
