/** A backend that was asked for by name and could not start, with the reason and the fix. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    /** The backend that was asked for. */
    readonly backend: string,
    /** Why it could not start. */
    readonly reason: string,
    /** What the user can do about it (an install command, a flag). */
    readonly hint?: string,
  ) {
    super(`backend '${backend}' is unavailable: ${reason}${hint ? `\n  fix: ${hint}` : ''}`);
  }
}

/** A backend choice that is not one of the known names. */
export class UnknownBackendError extends Error {
  override readonly name = 'UnknownBackendError';
  constructor(
    readonly choice: string,
    readonly known: readonly string[],
  ) {
    super(`unknown backend '${choice}': expected one of ${known.join(', ')}`);
  }
}
