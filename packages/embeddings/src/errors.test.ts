import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import { PositionOverflowError, TokenIdError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    ['TokenIdError', 'TFORMER_EMBEDDINGS_TOKEN_ID', () => new TokenIdError(0, 9, 5)],
    [
      'PositionOverflowError',
      'TFORMER_EMBEDDINGS_POSITION_OVERFLOW',
      () => new PositionOverflowError(8, 8, 'positions'),
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
