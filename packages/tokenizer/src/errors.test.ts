import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    ['TokenizerError', 'TFORMER_TOKENIZER', () => new TokenizerError('id-out-of-range', 'id 9')],
  ] as const)('%s is a TformerError with code %s', (name, code, make) => {
    const error = make();
    expect(error).toBeInstanceOf(TformerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });
});
