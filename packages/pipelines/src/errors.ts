import { TformerArgumentError, TformerError } from '@tformer/errors';

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

/**
 * A call argument of a pipeline outside its domain: `new PipelineArgumentError(argument, expected,
 * actual)` names the argument and what was expected (a long string cut at 40 characters, an array
 * by its length).
 */
export class PipelineArgumentError extends TformerArgumentError {
  override readonly name = 'PipelineArgumentError';
  override readonly code = 'TFORMER_PIPELINES_ARGUMENT';

  protected static override describe(value: unknown): string {
    if (typeof value === 'string')
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (Array.isArray(value)) return `an array of ${value.length}`;
    return String(value);
  }
}
