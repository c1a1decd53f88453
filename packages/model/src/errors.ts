/** A model configuration that cannot describe a working model; names the field and the rule. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A call argument outside its domain; names the argument, the rule and the value received. */
export class ModelArgumentError extends Error {
  override readonly name = 'ModelArgumentError';
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${argument}: expected ${expected}, got ${formatValue(actual)}`);
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
 * A saved model that does not fit the model its config describes. Lists every mismatch (missing,
 * unexpected, wrong shape, wrong dtype) at once, not just the first.
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
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

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return typeof value === 'string' ? `'${value}'` : String(value);
}
