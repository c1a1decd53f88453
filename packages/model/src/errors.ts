import { TformerArgumentError, TformerError } from '@tformer/errors';

/** A model configuration that cannot describe a working model; names the field and the rule. */
export class ModelConfigError extends TformerError {
  override readonly name = 'ModelConfigError';
  override readonly code = 'TFORMER_MODEL_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * A call argument outside its domain: `new ModelArgumentError(argument, expected, actual)` names
 * the argument, the rule and the value received (strings quoted; an array's items as they are).
 */
export class ModelArgumentError extends TformerArgumentError {
  override readonly name = 'ModelArgumentError';
  override readonly code = 'TFORMER_MODEL_ARGUMENT';

  protected static override describe(value: unknown): string {
    return Array.isArray(value) ? `[${value.join(', ')}]` : TformerArgumentError.describe(value);
  }
}

/** One way a saved tensor failed to fit the model. */
export interface CheckpointMismatch {
  /** The tensor name as stored in the file. */
  name: string;
  kind: 'missing' | 'unexpected' | 'shape' | 'dtype';
  expected?: string;
  actual?: string;
}

/**
 * A saved model (`config.json` + `model.safetensors`) that cannot be read, or written in the
 * naming asked for, or that does not fit the model its config describes. Lists every mismatch
 * (missing, unexpected, wrong shape, wrong dtype) at once, not just the first. (Formerly
 * `CheckpointError`, a name now left to `@tformer/train`'s training checkpoints.)
 */
export class SavedModelError extends TformerError {
  override readonly name = 'SavedModelError';
  override readonly code = 'TFORMER_MODEL_SAVED_MODEL';
  constructor(
    readonly path: string,
    readonly mismatches: readonly CheckpointMismatch[],
    detail?: string,
  ) {
    super(
      detail ??
        `${path}: ${mismatches.length} mismatch(es):\n` +
          mismatches
            .map(
              (m) =>
                `  ${m.kind} '${m.name}'` +
                (m.expected !== undefined ? `: expected ${m.expected}, got ${m.actual}` : ''),
            )
            .join('\n'),
    );
  }
}
