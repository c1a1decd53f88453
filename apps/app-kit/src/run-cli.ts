import { TformerError } from '@tformer/errors';
import { DataFileError } from './data-file-error.js';
import { fileError, InterruptedError } from './file-errors.js';

/** Errors that are the user's input, not a bug: one line on stderr and exit code 2. */
const USER_ERRORS = new Set([
  'DataFileError',
  'BackendUnavailableError',
  'UnknownBackendError',
  'ModelConfigError',
  // A saved model (@tformer/model) or training checkpoint (@tformer/train) that does not fit
  // (another version, a torn copy): it names the file.
  'CheckpointError',
  'SavedModelError',
  'TokenizerError',
  'CommanderError',
  'UsageError',
]);

/** A wrong command-line argument (e.g. `--steps 0`): reported like a bad data file. */
export class UsageError extends TformerError {
  override readonly name = 'UsageError';
  override readonly code = 'TFORMER_APP_USAGE';
}

/** Errors of the machine, not the input: one line on stderr and exit code 3. */
const ENVIRONMENT_ERRORS = new Set(['FileAccessError', 'RunLockedError']);

/** Training that diverged (NaN/Inf): one line and exit code 4. */
const NUMERIC_ERRORS = new Set(['NonFiniteLossError', 'NonFiniteGradientError']);

/**
 * The exit codes of every app (docs/apps.md): 0 done, 1 a bug (with its stack), 2 the input
 * (flags, data files, a run directory that does not fit the command), 3 the machine (permission,
 * disk full, read-only disk, another process holding the run's lock), 4 training diverged,
 * 130/143 stopped by SIGINT/SIGTERM after saving a checkpoint.
 */
export const EXIT_CODES = {
  ok: 0,
  bug: 1,
  input: 2,
  environment: 3,
  diverged: 4,
  sigint: 130,
  sigterm: 143,
} as const;

/**
 * Runs an app's `main`, turning expected failures into one clear line on stderr and an exit code
 * ({@link EXIT_CODES}): input errors ({@link DataFileError}, bad backend names, invalid
 * configurations) 2; the machine (a Node file-system error such as EACCES or ENOSPC, named with
 * its path; a locked run) 3; a diverged run 4; an interrupted run 130/143. Anything else is a bug
 * and keeps its stack.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (raw) {
    const error = fileError(raw);
    if (!(error instanceof Error)) throw raw;
    const code = exitCodeOf(error);
    if (code === undefined) throw raw;
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = code;
  }
}

function exitCodeOf(error: Error): number | undefined {
  if (error instanceof InterruptedError)
    return error.signal === 'SIGINT' ? EXIT_CODES.sigint : EXIT_CODES.sigterm;
  if (error instanceof DataFileError || USER_ERRORS.has(error.name)) return EXIT_CODES.input;
  if (ENVIRONMENT_ERRORS.has(error.name)) return EXIT_CODES.environment;
  if (NUMERIC_ERRORS.has(error.name)) return EXIT_CODES.diverged;
  return undefined;
}
