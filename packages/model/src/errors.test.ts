import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import { ModelArgumentError, ModelConfigError, SavedModelError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    [
      'ModelConfigError',
      'TFORMER_MODEL_CONFIG',
      () => new ModelConfigError('numLayers', 'must be positive'),
    ],
    [
      'ModelArgumentError',
      'TFORMER_MODEL_ARGUMENT',
      () => new ModelArgumentError('ids', 'int32', 'float32'),
    ],
    [
      'SavedModelError',
      'TFORMER_MODEL_SAVED_MODEL',
      () => new SavedModelError('run/model', [{ name: 'w', kind: 'missing' }]),
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
