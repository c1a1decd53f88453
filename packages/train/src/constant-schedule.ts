import type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
import { checkInteger, checkNumber } from './validate.js';

/**
 * The same learning rate at every step.
 *
 * @example
 * ```ts
 * new ConstantSchedule(1e-3).learningRate(10); // 0.001
 * ```
 */
export class ConstantSchedule implements LearningRateSchedule {
  constructor(readonly rate: number) {
    checkNumber('learningRate', rate, { min: 0 });
  }

  learningRate(step: number): number {
    checkInteger('step', step, 1);
    return this.rate;
  }

  getConfig(): ScheduleConfig {
    return { kind: 'constant', learningRate: this.rate };
  }
}
