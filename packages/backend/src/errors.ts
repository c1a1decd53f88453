import { TformerArgumentError, TformerError } from '@tformer/errors';

/**
 * A backend that was asked for by name and could not start, with the reason and the fix.
 *
 * @example
 * ```ts
 * try {
 *   await selectBackend('node');
 * } catch (error) {
 *   if (error instanceof BackendUnavailableError) console.error(error.reason, error.hint);
 * }
 * ```
 */
export class BackendUnavailableError extends TformerError {
  override readonly name = 'BackendUnavailableError';
  override readonly code = 'TFORMER_BACKEND_UNAVAILABLE';
  constructor(
    /** The backend that was asked for. */
    readonly backend: string,
    /** Why it could not start. */
    readonly reason: string,
    /** What the user can do about it (an install command, a flag). */
    readonly hint?: string,
  ) {
    super(`backend '${backend}' is unavailable: ${reason}${hint ? `\n  fix: ${hint}` : ''}`);
  }
}

/** A backend choice that is not one of the known names (from code, a flag or `TFORMER_BACKEND`). */
export class UnknownBackendError extends TformerError {
  override readonly name = 'UnknownBackendError';
  override readonly code = 'TFORMER_BACKEND_UNKNOWN';
  constructor(
    /** What was given. */
    readonly choice: string,
    /** The names that are accepted. */
    readonly known: readonly string[],
    /** Where the choice came from, e.g. `--backend` or `TFORMER_BACKEND`. */
    readonly source = 'backend',
  ) {
    super(`unknown ${source} '${choice}': expected one of ${known.join(', ')}`);
  }
}

/**
 * An option of {@link selectBackend} or a CLI flag with a value outside its range:
 * `new InvalidBackendOptionError(option, expected, actual)`, message
 * `invalid wasmThreads: expected an integer ≥ 1, got 0` (the value as JSON).
 */
export class InvalidBackendOptionError extends TformerArgumentError {
  override readonly name = 'InvalidBackendOptionError';
  override readonly code = 'TFORMER_BACKEND_OPTION';

  /** The option, e.g. `wasmThreads` (the base class's `argument`). */
  get option(): string {
    return this.argument;
  }

  protected static override formatMessage(option: string, expected: string, actual: string) {
    return `invalid ${option}: expected ${expected}, got ${actual}`;
  }

  protected static override describe(value: unknown): string {
    return JSON.stringify(value);
  }
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
