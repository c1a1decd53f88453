import { describe, expect, it } from 'vitest';
import { TformerArgumentError, TformerError } from './index.js';

class ExampleArgumentError extends TformerArgumentError {
  override readonly name = 'ExampleArgumentError';
  override readonly code = 'TFORMER_EXAMPLE_ARGUMENT';
}

class RawArgumentError extends TformerArgumentError {
  protected static override formatMessage(argument: string, expected: string, actual: string) {
    return `invalid ${argument}: expected ${expected}, got ${actual}`;
  }
  protected static override describe(value: unknown): string {
    return JSON.stringify(value);
  }
}

describe('TformerArgumentError', () => {
  it('names the argument, the rule and the value, and keeps all three', () => {
    const error = new ExampleArgumentError('topK', 'an integer ≥ 1', 0);
    expect(error).toBeInstanceOf(TformerError);
    expect(error.name).toBe('ExampleArgumentError');
    expect(error.code).toBe('TFORMER_EXAMPLE_ARGUMENT');
    expect(error.message).toBe('topK: expected an integer ≥ 1, got 0');
    expect([error.argument, error.expected, error.actual]).toEqual(['topK', 'an integer ≥ 1', 0]);
  });

  it('writes strings quoted and arrays bracketed, nested ones too', () => {
    expect(new ExampleArgumentError('x', 'y', 'abc').message).toBe("x: expected y, got 'abc'");
    expect(new ExampleArgumentError('x', 'y', [1, ['a', 2]]).message).toBe(
      "x: expected y, got [1, ['a', 2]]",
    );
  });

  it("uses the subclass's formatMessage and describe", () => {
    expect(new RawArgumentError('threads', 'an integer', 'two').message).toBe(
      'invalid threads: expected an integer, got "two"',
    );
    expect(new ExampleArgumentError('threads', 'an integer', 'two').message).toBe(
      "threads: expected an integer, got 'two'",
    );
  });
});
