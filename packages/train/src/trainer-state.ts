import { parseJsonFile } from '@tformer/nn';
import { CheckpointError } from './errors.js';
import { type LearningRateSchedule, type ScheduleConfig, scheduleFromConfig } from './schedule.js';
import type { TrainerState } from './trainer-types.js';

/** The Trainer's own file in a checkpoint. */
export const STATE_FILE = 'trainer.json';

/**
 * Reads a checkpoint's `trainer.json` and checks what resuming relies on: the format and version,
 * the step and optimizer iterations (non-negative integers), the learning-rate scale (finite,
 * > 0) and the schedule (which it builds). A file that is not JSON (truncated) or holds anything
 * else is a {@link CheckpointError} naming `trainer.json`, never a bare SyntaxError or TypeError.
 */
export function parseTrainerState(bytes: Uint8Array): {
  state: TrainerState;
  schedule: LearningRateSchedule;
} {
  const fail = (reason: string) => new CheckpointError(STATE_FILE, reason);
  const json = parseJsonFile(new TextDecoder().decode(bytes), STATE_FILE, (message) =>
    fail(message.slice(STATE_FILE.length + 2)),
  );
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw fail('expected a JSON object');
  const state = json as Partial<Record<keyof TrainerState, unknown>>;
  if (state.format !== 'tformer-trainer' || state.version !== 1) {
    throw fail(
      `expected format 'tformer-trainer' version 1, got ${typeof state.format === 'string' ? `'${state.format.slice(0, 40)}'` : short(state.format)} version ${short(state.version)}`,
    );
  }
  for (const field of ['step', 'optimizerIterations'] as const) {
    const value = state[field];
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw fail(`${field}: expected a non-negative integer, got ${short(value)}`);
  }
  const scale = state.learningRateScale;
  if (scale !== undefined && !(typeof scale === 'number' && Number.isFinite(scale) && scale > 0))
    throw fail(`learningRateScale: expected a finite number > 0, got ${short(scale)}`);
  const modelRng = state.modelRng;
  if (modelRng !== undefined && (typeof modelRng !== 'object' || modelRng === null))
    throw fail(`modelRng: expected an object, got ${short(modelRng)}`);
  if (typeof state.schedule !== 'object' || state.schedule === null)
    throw fail(`schedule: expected an object, got ${short(state.schedule)}`);
  let schedule: LearningRateSchedule;
  try {
    schedule = scheduleFromConfig(state.schedule as unknown as ScheduleConfig);
  } catch (error) {
    throw fail(`schedule: ${(error as Error).message}`);
  }
  return { state: state as TrainerState, schedule };
}

/** A value for a message, cut short; never throws (unlike a template literal on some objects). */
function short(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 40);
  } catch {
    return typeof value;
  }
}
