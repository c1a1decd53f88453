import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  InvalidBackendOptionError,
  UnknownBackendError,
} from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    [
      'BackendUnavailableError',
      'TFORMER_BACKEND_UNAVAILABLE',
      () => new BackendUnavailableError('node', 'not installed'),
    ],
    [
      'UnknownBackendError',
      'TFORMER_BACKEND_UNKNOWN',
      () => new UnknownBackendError('tpu', ['cpu']),
    ],
    [
      'InvalidBackendOptionError',
      'TFORMER_BACKEND_OPTION',
      () => new InvalidBackendOptionError('wasmThreads', 'a positive integer', 0),
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
