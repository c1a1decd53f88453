/**
 * A problem with a file the user gave an app (missing, empty, wrong columns, mismatched lines).
 * `runCli` prints it as one line — `file:line: message` — and exits with code 2, no stack trace.
 */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(
    readonly file: string,
    readonly detail: string,
    /** 1-based line number, when the problem is on a line. */
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}
