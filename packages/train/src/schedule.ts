import { ConstantSchedule } from './constant-schedule.js';
import { InvalidArgumentError } from './errors.js';
import { NoamSchedule } from './noam-schedule.js';
import { WarmupCosineSchedule } from './warmup-cosine-schedule.js';

/** A serialisable description of a schedule, stored in checkpoints. */
export type ScheduleConfig =
  | { kind: 'constant'; learningRate: number }
  | {
      kind: 'warmup-cosine';
      peakLearningRate: number;
      warmupSteps: number;
      totalSteps: number;
      minLearningRate: number;
    }
  | { kind: 'noam'; dModel: number; warmupSteps: number; factor: number };

/**
 * A learning rate per optimizer step. `step` is 1-based: the first update is step 1, as in the
 * Transformer paper's `step_num`.
 */
export interface LearningRateSchedule {
  learningRate(step: number): number;
  getConfig(): ScheduleConfig;
}

/**
 * Rebuilds a schedule from {@link LearningRateSchedule.getConfig}'s output.
 *
 * @example
 * ```ts
 * const same = scheduleFromConfig(new NoamSchedule({ dModel: 512, warmupSteps: 4000 }).getConfig());
 * ```
 */
export function scheduleFromConfig(config: ScheduleConfig): LearningRateSchedule {
  switch (config.kind) {
    case 'constant':
      return new ConstantSchedule(config.learningRate);
    case 'warmup-cosine':
      return new WarmupCosineSchedule(config);
    case 'noam':
      return new NoamSchedule(config);
    default:
      throw new InvalidArgumentError(
        'config.kind',
        "'constant', 'warmup-cosine' or 'noam'",
        JSON.stringify((config as { kind: unknown }).kind),
      );
  }
}
