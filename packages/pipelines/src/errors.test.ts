import { describeErrorClasses } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { PipelineArgumentError, PipelineFileError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
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
]);

describe('PipelineFileError', () => {
  it('names the file and the field', () => {
    expect(new PipelineFileError('vocab.json', 'missing', 'src').message).toBe(
      'vocab.json (src): missing',
    );
  });
});
