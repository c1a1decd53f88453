import type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
import { checkInteger, checkNumber } from './validate.js';

/** Options of {@link NoamSchedule}. */
export interface NoamOptions {
  /** Model width d_model (512 in the paper's base model). */
  dModel: number;
  /** Warmup steps (4000 in the paper). */
  warmupSteps: number;
  /** Overall multiplier. Default 1 (the paper); the Annotated Transformer uses 1–2. */
  factor?: number;
}

/**
 * The Transformer paper's schedule (Vaswani et al. 2017, §5.3), named after Noam Shazeer:
 *
 *   lr = factor · d_model^−0.5 · min(step^−0.5, step · warmup^−1.5)
 *
 * It rises linearly for `warmupSteps` steps, peaks at factor·(d_model·warmup)^−0.5, then decays
 * as 1/√step. Use it with Adam(β₁ 0.9, β₂ 0.98, ε 1e-9) as the paper does.
 *
 * @example
 * ```ts
 * const schedule = new NoamSchedule({ dModel: 512, warmupSteps: 4000 });
 * schedule.learningRate(4000); // ≈ 7.0e-4, the peak
 * ```
 */
export class NoamSchedule implements LearningRateSchedule {
  readonly dModel: number;
  readonly warmupSteps: number;
  readonly factor: number;

  constructor({ dModel, warmupSteps, factor = 1 }: NoamOptions) {
    checkInteger('options.dModel', dModel, 1);
    checkInteger('options.warmupSteps', warmupSteps, 1);
    checkNumber('options.factor', factor, { min: 0, minExclusive: true });
    this.dModel = dModel;
    this.warmupSteps = warmupSteps;
    this.factor = factor;
  }

  learningRate(step: number): number {
    checkInteger('step', step, 1);
    return (
      this.factor * this.dModel ** -0.5 * Math.min(step ** -0.5, step * this.warmupSteps ** -1.5)
    );
  }

  getConfig(): ScheduleConfig {
    return {
      kind: 'noam',
      dModel: this.dModel,
      warmupSteps: this.warmupSteps,
      factor: this.factor,
    };
  }
}
