import { TformerError } from '@tformer/errors';
import { DataFileError } from './data-file-error.js';

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

/**
 * Runs an app's `main`, turning input errors ({@link DataFileError}, bad backend names, invalid
 * configurations) into one clear line and exit code 2; anything else is a bug and keeps its stack.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof DataFileError || (error instanceof Error && USER_ERRORS.has(error.name))) {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
