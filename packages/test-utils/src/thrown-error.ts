import { expect } from 'vitest';

/**
 * The error that `f` throws, checked to be a `type`: the test fails when `f` returns, or throws
 * anything else. For asserting on an error's fields (`code`, `argument`, …) after the throw.
 *
 * @example
 * ```ts
 * const error = thrownError(() => BytePairTokenizer.fromJSON('{'), TokenizerError);
 * expect(error.code).toBe('TFORMER_TOKENIZER');
 * ```
 */
export function thrownError<E extends Error>(
  f: () => unknown,
  type: abstract new (...args: never[]) => E,
): E {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}`);
}
