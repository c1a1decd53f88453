import { TformerError } from './tformer-error.js';

/**
 * The base of the packages' argument errors: an argument (or option) outside its domain, with the
 * message `<argument>: expected <expected>, got <actual>`. A package's subclass sets its own `name`
 * and `code`; where the package writes values its own way it overrides the static `describe` (or
 * `formatMessage`), which the constructor looks up on the class being constructed (`new.target`).
 *
 * @example
 * ```ts
 * class ExampleArgumentError extends TformerArgumentError {
 *   override readonly name = 'ExampleArgumentError';
 *   override readonly code = 'TFORMER_EXAMPLE_ARGUMENT';
 * }
 * new ExampleArgumentError('topK', 'an integer ≥ 1', 0).message; // 'topK: expected an integer ≥ 1, got 0'
 * ```
 */
export class TformerArgumentError extends TformerError {
  override readonly name: string = 'TformerArgumentError';
  override readonly code: string = 'TFORMER_ARGUMENT';
  constructor(
    /** The argument at fault, as the caller wrote it (`topK`, `options.mask`). */
    readonly argument: string,
    /** What it must be, in words (`an integer ≥ 1`, `shape [B, T]`). */
    readonly expected: string,
    /** What it was. */
    readonly actual: unknown,
  ) {
    // The class being constructed: a subclass's own `formatMessage` and `describe` apply.
    const own = new.target as typeof TformerArgumentError;
    super(own.formatMessage(argument, expected, own.describe(actual)));
  }

  /** The message, from the received value as {@link describe} wrote it. */
  protected static formatMessage(argument: string, expected: string, actual: string): string {
    return `${argument}: expected ${expected}, got ${actual}`;
  }

  /** A received value in a message: strings in single quotes, arrays as `[a, b]`, the rest by `String`. */
  protected static describe(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(TformerArgumentError.describe).join(', ')}]`;
    return typeof value === 'string' ? `'${value}'` : String(value);
  }
}
