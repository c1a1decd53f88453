import { describeValue, TokenizerError } from './errors.js';

/**
 * The largest token id any tokenizer here accepts: ids are int32 on the model side
 * (`2^31 − 1` is kept free so that `vocabSize` itself fits int32).
 */
export const MAX_TOKEN_ID = 2 ** 31 - 2;

/**
 * How far a vocabulary's ids may run past the ids it uses: the largest id must be below
 * `2 · entries + ID_SLACK`, where `entries` counts the distinct ids in use (vocabulary and special
 * tokens). Real vocabularies are dense (GPT-2, cl100k and o200k leave a few holes at most); the
 * rule keeps `vocabSize`, and every table sized by it, proportional to the file that defines it.
 */
export const ID_SLACK = 1024;

/** Raises `invalid-format` naming `field` unless `id` is an integer in `[0, MAX_TOKEN_ID]`. */
export function checkTokenId(
  id: unknown,
  field: string,
  where: Readonly<Record<string, string | number>> = {},
): asserts id is number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
    const shown = describeValue(id);
    throw new TokenizerError(
      'invalid-format',
      `${field}: id ${shown} is not an integer in [0, ${MAX_TOKEN_ID}]`,
      { field, ...where },
    );
  }
}

/**
 * Raises `invalid-format` naming `field` when a vocabulary of `size` ids (largest id + 1) uses
 * only `entries` of them and so breaks the {@link ID_SLACK} rule.
 */
export function checkIdDensity(size: number, entries: number, field: string): void {
  if (size > 2 * entries + ID_SLACK) {
    throw new TokenizerError(
      'invalid-format',
      `${field}: the largest id is ${size - 1} but only ${entries} ids are in use; ` +
        `ids must stay below 2 × ${entries} + ${ID_SLACK} (a sparse vocabulary would allocate ` +
        'tables far larger than its file)',
      { field, size, entries },
    );
  }
}

/** How many entries of `array` are defined, without walking the holes of a sparse array. */
export function countDefined(array: ArrayLike<unknown>): number {
  let n = 0;
  if (array.length <= 1 << 22) {
    for (let i = 0; i < array.length; i++) if (array[i] !== undefined) n++;
    return n;
  }
  for (const key of Object.keys(array)) {
    if ((array as unknown as Record<string, unknown>)[key] !== undefined) n++;
  }
  return n;
}
