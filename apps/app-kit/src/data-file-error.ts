import { TformerError } from '@tformer/errors';

/**
 * A problem with a file the user gave an app (missing, empty, wrong columns, mismatched lines).
 * `runCli` prints it as one line — `file:line: message` — and exits with code 2, no stack trace.
 */
export class DataFileError extends TformerError {
  override readonly name = 'DataFileError';
  override readonly code = 'TFORMER_APP_DATA_FILE';
  constructor(
    readonly file: string,
    readonly detail: string,
    /** 1-based line number, when the problem is on a line. */
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

/**
 * Fails with a {@link DataFileError} on `source` unless `found` lists the same classes, in the same
 * order, as the run's `expected` (a resumed or evaluated run must see the classes it trained on).
 * `changed` names what the user would have edited ("the file", "the folder").
 */
export function checkRunClasses(
  source: string,
  found: readonly string[],
  expected: readonly string[],
  changed: string,
): void {
  if (found.join('\n') !== expected.join('\n')) {
    throw new DataFileError(
      source,
      `classes ${found.join(', ')} differ from the run's (${expected.join(', ')}): ${changed} changed since training`,
    );
  }
}
