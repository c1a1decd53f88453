import { TformerError } from '@tformer/errors';

/** Machine-readable reason carried by every {@link TokenizerError} (its `reason`). */
export type TokenizerErrorReason =
  | 'invalid-input'
  | 'invalid-json'
  | 'invalid-format'
  | 'unknown-token'
  | 'duplicate-rank'
  | 'id-out-of-range'
  | 'disallowed-special'
  | 'unsupported';

/**
 * The one error type raised by this package for bad input, bad files and bad ids. Its `code` is
 * always `TFORMER_TOKENIZER` (see `@tformer/errors`); `reason` says what went wrong.
 *
 * @param reason - what went wrong, see {@link TokenizerErrorReason}.
 * @param message - a sentence naming what and where (file, line, field, id or text offset).
 * @param where - the location as data: e.g. `{ line: 12 }`, `{ field: 'model.merges', index: 3 }`.
 *
 * @example
 * ```ts
 * try {
 *   tokenizer.decode([1e9]);
 * } catch (e) {
 *   if (e instanceof TokenizerError && e.reason === 'id-out-of-range') console.log(e.where);
 * }
 * ```
 */
export class TokenizerError extends TformerError {
  override readonly name = 'TokenizerError';
  override readonly code = 'TFORMER_TOKENIZER';
  readonly reason: TokenizerErrorReason;
  readonly where: Readonly<Record<string, string | number>>;

  constructor(
    reason: TokenizerErrorReason,
    message: string,
    where: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
    this.reason = reason;
    this.where = where;
  }
}

/** Raises `invalid-input` unless `text` is a string; `what` names the argument. */
export function assertString(text: unknown, what: string): asserts text is string {
  if (typeof text !== 'string') {
    const got = text === null ? 'null' : typeof text;
    throw new TokenizerError('invalid-input', `${what} must be a string, got ${got}`, { what });
  }
}

/** Parses JSON text, raising `invalid-json` with the source name on failure. */
export function parseJson(text: string, source: string): unknown {
  assertString(text, source);
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new TokenizerError('invalid-json', `${source}: malformed JSON (${detail})`, { source });
  }
}

/**
 * Raises `invalid-input` unless `ids` is an array or typed array, and `id-out-of-range` naming the
 * index for an element of an array that is not an integer (`null`, `'0'`, `1.5`): such an element
 * must never decode to a token. Ids outside the vocabulary are left to the caller.
 */
export function assertIds(ids: unknown): asserts ids is ArrayLike<number> {
  if (!Array.isArray(ids)) {
    if (ids instanceof Int32Array || ids instanceof Uint32Array || ids instanceof Uint16Array)
      return;
    if (ids instanceof Int16Array || ids instanceof Uint8Array || ids instanceof Int8Array) return;
    if (!ArrayBuffer.isView(ids) || ids instanceof DataView) {
      const got = ids === null ? 'null' : typeof ids;
      throw new TokenizerError('invalid-input', `ids must be an array of numbers, got ${got}`, {
        what: 'ids',
      });
    }
  }
  const list = ids as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      const shown = describeValue(id);
      throw new TokenizerError(
        'id-out-of-range',
        `decode: ids[${i}] is ${shown}, not an integer id`,
        { index: i, id: shown },
      );
    }
  }
}

/** A short description of any value for a message; never throws (unlike `String(value)`). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
