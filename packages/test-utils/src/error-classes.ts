import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';

/** One error class to check: its `name`, its stable `code` and a function that makes one. */
export type ErrorClassCase = readonly [name: string, code: string, make: () => Error];

/**
 * The suite every package's `src/errors.test.ts` declares (docs/architecture.md#errors): each of
 * its error classes is a `TformerError` (so an `Error`) with its own `name` and stable `code`, and
 * prints as `Name: message`.
 *
 * @example
 * ```ts
 * describeErrorClasses([['TokenizerError', 'TFORMER_TOKENIZER', () => new TokenizerError('x', 'y')]]);
 * ```
 */
export function describeErrorClasses(cases: readonly ErrorClassCase[]): void {
  describe('errors', () => {
    it.each(cases)('%s is a TformerError with code %s', (name, code, make) => {
      const error = make();
      expect(error).toBeInstanceOf(TformerError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect((error as TformerError).code).toBe(code);
      expect(String(error)).toMatch(new RegExp(`^${name}: `));
    });
  });
}
