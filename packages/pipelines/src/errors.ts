import { TformerError } from '@tformer/errors';

/**
 * A file a pipeline was built from that is missing, unreadable or not what the task needs: names
 * the `file` (`config.json`, `model.safetensors`, `tokenizer.json`, …) and, where one field is at
 * fault, the `field`.
 */
export class PipelineFileError extends TformerError {
  override readonly name = 'PipelineFileError';
  override readonly code = 'TFORMER_PIPELINES_FILE';

  constructor(
    readonly file: string,
    problem: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${field === undefined ? '' : ` (${field})`}: ${problem}`, options);
  }
}

/** A call argument of a pipeline outside its domain: names the argument and what was expected. */
export class PipelineArgumentError extends TformerError {
  override readonly name = 'PipelineArgumentError';
  override readonly code = 'TFORMER_PIPELINES_ARGUMENT';

  constructor(
    readonly argument: string,
    expected: string,
    actual: unknown,
  ) {
    super(`${argument}: expected ${expected}, got ${describe(actual)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return String(value);
}
