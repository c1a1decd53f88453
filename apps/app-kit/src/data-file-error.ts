import { TformerError } from '@tformer/errors';

/**
 * What is wrong with a file or folder: one line, `path:line: detail` (`:line` only when the
 * problem is on a line). The base of {@link DataFileError} (the input is wrong: exit code 2) and
 * of `FileAccessError` (the machine refuses: exit code 3).
 */
export abstract class PathError extends TformerError {
  constructor(
    readonly path: string,
    readonly detail: string,
    /** 1-based line number, when the problem is on a line. */
    readonly line?: number,
  ) {
    super(`${path}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

/**
 * A problem with a file the user gave an app (missing, empty, wrong columns, mismatched lines).
 * `runCli` prints it as one line — `file:line: message` — and exits with code 2, no stack trace.
 */
export class DataFileError extends PathError {
  override readonly name = 'DataFileError';
  override readonly code = 'TFORMER_APP_DATA_FILE';
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
