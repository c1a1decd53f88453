/** A tensor argument whose shape does not fit: names the argument, the expected and actual shapes. */
export class AttentionShapeError extends Error {
  override readonly name = 'AttentionShapeError';
  constructor(
    /** The argument at fault, e.g. `key` or `options.mask`. */
    readonly argument: string,
    /** The expected shape in words, e.g. `[B, Hkv, S, dk] = [2, 4, 7, 8]`. */
    readonly expected: string,
    /** The shape that was passed. */
    readonly actual: readonly number[],
  ) {
    super(`${argument}: expected shape ${expected}, got [${actual.join(', ')}]`);
  }
}

/** A non-tensor argument out of range or a combination of options that cannot work together. */
export class AttentionArgumentError extends Error {
  override readonly name = 'AttentionArgumentError';
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${argument}: expected ${expected}, got ${formatValue(actual)}`);
  }
}

/** A `KVCache` asked to grow past its `maxLength`. */
export class KVCacheOverflowError extends Error {
  override readonly name = 'KVCacheOverflowError';
  constructor(
    readonly maxLength: number,
    readonly requested: number,
  ) {
    super(`KVCache: expected at most maxLength = ${maxLength} positions, got ${requested}`);
  }
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return typeof value === 'string' ? `'${value}'` : String(value);
}
