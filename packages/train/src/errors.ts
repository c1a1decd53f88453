import { TformerArgumentError, TformerError } from '@tformer/errors';

/**
 * An argument of a public function that is not what it must be: the message names the argument
 * and the expected vs actual value or shape, so a bad call fails loudly instead of training on
 * garbage.
 */
export class InvalidArgumentError extends TformerArgumentError {
  override readonly name = 'InvalidArgumentError';
  override readonly code = 'TFORMER_TRAIN_ARGUMENT';
  /** What it was, already in words (`dtype float32`, `[2, 3]`). */
  declare readonly actual: string;
  constructor(argument: string, expected: string, actual: string) {
    super(argument, expected, actual);
  }

  protected static override describe(value: unknown): string {
    return String(value);
  }
}

/**
 * The training loss became NaN or ±Infinity. The Trainer throws it before the update of that
 * step is applied and before any checkpoint is written, so the weights in memory and the last
 * checkpoint on disk are both from the last finite step.
 */
export class NonFiniteLossError extends TformerError {
  override readonly name = 'NonFiniteLossError';
  override readonly code = 'TFORMER_TRAIN_NON_FINITE_LOSS';
  constructor(
    /** The step whose loss was not finite (1-based, the step that would have been taken). */
    readonly step: number,
    /** The loss value (NaN, Infinity or -Infinity). */
    readonly loss: number,
  ) {
    super(
      `loss is ${loss} at step ${step}: training stopped; weights and the last checkpoint are ` +
        `those of step ${step - 1}`,
    );
  }
}

/**
 * The gradients (or the loss) were NaN or ±Infinity for `maxBadSteps` steps in a row. The
 * Trainer skips a step whose gradients are not finite (no update, nothing written) and goes on
 * with the next batch; it throws this when skipping does not help, so a run never trains on, or
 * saves, non-finite weights.
 */
export class NonFiniteGradientError extends TformerError {
  override readonly name = 'NonFiniteGradientError';
  override readonly code = 'TFORMER_TRAIN_NON_FINITE_GRADIENT';
  constructor(
    /** The step that was tried last (1-based): the weights are those of `step - 1`. */
    readonly step: number,
    /** Bad steps in a row, this one included. */
    readonly badSteps: number,
  ) {
    super(
      `gradients are not finite at step ${step} (${badSteps} bad steps in a row): training ` +
        `stopped; weights and the last checkpoint are those of step ${step - 1}`,
    );
  }
}

/** A checkpoint that cannot be written or read back: the path and the reason. */
export class CheckpointError extends TformerError {
  override readonly name = 'CheckpointError';
  override readonly code = 'TFORMER_TRAIN_CHECKPOINT';
  constructor(
    /** The checkpoint directory or file. */
    readonly path: string,
    /** What went wrong. */
    readonly reason: string,
  ) {
    super(`checkpoint '${path}': ${reason}`);
  }
}
