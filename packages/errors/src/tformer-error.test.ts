import { describe, expect, it } from 'vitest';
import { isTformerError, TformerError } from './index.js';

class ExampleError extends TformerError {
  override readonly name = 'ExampleError';
  override readonly code = 'TFORMER_EXAMPLE';
}

describe('TformerError', () => {
  it('is an Error with a name, a message, a cause and the base code', () => {
    const cause = new Error('inner');
    const error = new TformerError('outer', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TformerError');
    expect(error.code).toBe('TFORMER_ERROR');
    expect(error.message).toBe('outer');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('TformerError: outer');
  });

  it('lets a subclass set its own name and code', () => {
    const error = new ExampleError('bad');
    expect(error).toBeInstanceOf(TformerError);
    expect(error.name).toBe('ExampleError');
    expect(error.code).toBe('TFORMER_EXAMPLE');
    expect(error.stack).toContain('bad');
  });
});

describe('isTformerError', () => {
  it('accepts instances and foreign copies with a TFORMER_ code', () => {
    expect(isTformerError(new ExampleError('x'))).toBe(true);
    // What an error from a second installed copy of @tformer/errors looks like from here.
    const foreign = Object.assign(new Error('x'), { code: 'TFORMER_NN_SHAPE' });
    expect(isTformerError(foreign)).toBe(true);
  });

  it('rejects other errors and non-errors', () => {
    expect(isTformerError(new Error('x'))).toBe(false);
    expect(isTformerError(Object.assign(new Error('x'), { code: 'ERR_MODULE_NOT_FOUND' }))).toBe(
      false,
    );
    expect(isTformerError({ code: 'TFORMER_NN_SHAPE', message: 'x' })).toBe(false);
    expect(isTformerError(undefined)).toBe(false);
  });
});
