/**
 * The base class of every error raised by a `@tformer` package. Each subclass has its own stable
 * `code` (`TFORMER_<PACKAGE>_<KIND>`, e.g. `TFORMER_NN_SHAPE`) and keeps its own `name`, so callers
 * can branch on one field without importing the class, and one `instanceof TformerError` tells a
 * tformer error from anything else. Codes never change meaning; a new error gets a new code.
 *
 * @example
 * ```ts
 * class ExampleError extends TformerError {
 *   override readonly name = 'ExampleError';
 *   override readonly code = 'TFORMER_EXAMPLE';
 * }
 * ```
 */
export class TformerError extends Error {
  override readonly name: string = 'TformerError';
  /** Stable machine-readable identity of the error class, `TFORMER_<PACKAGE>_<KIND>`. */
  readonly code: string = 'TFORMER_ERROR';
}

/**
 * True for any error raised by a `@tformer` package: an instance of {@link TformerError}, or (when
 * two copies of `@tformer/errors` are installed, so `instanceof` cannot see across them) an `Error`
 * whose `code` starts with `TFORMER_`.
 */
export function isTformerError(error: unknown): error is TformerError {
  if (error instanceof TformerError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('TFORMER_');
}
