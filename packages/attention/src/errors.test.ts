import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    [
      'AttentionShapeError',
      'TFORMER_ATTENTION_SHAPE',
      () => new AttentionShapeError('key', '[B, H, S, d]', [1, 2]),
    ],
    [
      'AttentionArgumentError',
      'TFORMER_ATTENTION_ARGUMENT',
      () => new AttentionArgumentError('heads', 'a positive integer', 0),
    ],
    [
      'KVCacheOverflowError',
      'TFORMER_ATTENTION_KV_CACHE_OVERFLOW',
      () => new KVCacheOverflowError(4, 5),
    ],
  ] as const)('%s is a TformerError with code %s', (name, code, make) => {
    const error = make();
    expect(error).toBeInstanceOf(TformerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });
});
