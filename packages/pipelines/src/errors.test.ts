import { TformerError } from '@tformer/errors';
import { describe, expect, it } from 'vitest';
import { PipelineArgumentError, PipelineFileError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describe('errors', () => {
  it.each([
    [
      'PipelineFileError',
      'TFORMER_PIPELINES_FILE',
      () => new PipelineFileError('vocab.json', 'missing', 'src'),
    ],
    [
      'PipelineArgumentError',
      'TFORMER_PIPELINES_ARGUMENT',
      () => new PipelineArgumentError('topK', 'a number ≥ 1', 0),
    ],
  ] as const)('%s is a TformerError with code %s', (name, code, make) => {
    const error = make();
    expect(error).toBeInstanceOf(TformerError);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('names the file and the field', () => {
    expect(new PipelineFileError('vocab.json', 'missing', 'src').message).toBe(
      'vocab.json (src): missing',
    );
  });
});
