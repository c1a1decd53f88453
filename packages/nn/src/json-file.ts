/**
 * Parses the text of a JSON file read from `path`. A syntax error (a truncated or corrupt file)
 * becomes the error `toError` makes from a message that names the file, so every package reports
 * it with its own typed error (`SavedModelError`, `CheckpointError`, …) instead of a bare
 * `SyntaxError` that says neither which file nor why.
 *
 * @example
 * ```ts
 * const config = parseJsonFile(text, 'run/model/config.json', (message) => new MyError(message));
 * ```
 */
export function parseJsonFile(
  text: string,
  path: string,
  toError: (message: string, cause: unknown) => Error,
): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw toError(
      `${path}: not valid JSON, the file may be truncated or corrupt (${detail})`,
      cause,
    );
  }
}
