import { TformerArgumentError, TformerError } from '@tformer/errors';

/** A tensor argument whose shape does not fit: names the argument, the expected and actual shapes. */
export class AttentionShapeError extends TformerError {
  override readonly name = 'AttentionShapeError';
  override readonly code = 'TFORMER_ATTENTION_SHAPE';
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

/**
 * A non-tensor argument out of range or a combination of options that cannot work together:
 * `new AttentionArgumentError(argument, expected, actual)`, message `heads: expected a positive
 * integer, got 0` (strings quoted, arrays bracketed).
 */
export class AttentionArgumentError extends TformerArgumentError {
  override readonly name = 'AttentionArgumentError';
  override readonly code = 'TFORMER_ATTENTION_ARGUMENT';
}

/** A `KVCache` asked to grow past its `maxLength`. */
export class KVCacheOverflowError extends TformerError {
  override readonly name = 'KVCacheOverflowError';
  override readonly code = 'TFORMER_ATTENTION_KV_CACHE_OVERFLOW';
  constructor(
    readonly maxLength: number,
    readonly requested: number,
  ) {
    super(`KVCache: expected at most maxLength = ${maxLength} positions, got ${requested}`);
  }
}
