import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TformerError } from '@tformer/errors';
import { DataFileError, PathError } from './data-file-error.js';

/**
 * The machine, not the input: a file or folder the app needs that it may not read or write
 * (permissions, a read-only or full disk). `runCli` prints it as one line and exits with code 3.
 */
export class FileAccessError extends PathError {
  override readonly name = 'FileAccessError';
  override readonly code = 'TFORMER_APP_FILE_ACCESS';
}

/** Another live process is training in this run directory (its `.lock`): exit code 3. */
export class RunLockedError extends TformerError {
  override readonly name = 'RunLockedError';
  override readonly code = 'TFORMER_APP_RUN_LOCKED';
}

/** Training stopped by SIGINT or SIGTERM, after saving a checkpoint: exit 130 or 143. */
export class InterruptedError extends TformerError {
  override readonly name = 'InterruptedError';
  override readonly code = 'TFORMER_APP_INTERRUPTED';
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
  ) {
    super(message);
  }
}

/** Node's error codes that are about the path the user gave (exit 2), and what they mean. */
const INPUT_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder, not a file',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** Node's error codes that are about the machine (exit 3), and what they mean. */
const ENVIRONMENT_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'busy',
};

/** A Node file-system error (`code`, and usually `path`), as opposed to any other. */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    error instanceof Error &&
    typeof code === 'string' &&
    (code in INPUT_CODES || code in ENVIRONMENT_CODES)
  );
}

/**
 * The typed, one-line form of a Node file-system error on `path`: a {@link DataFileError} (exit
 * 2) when the path is wrong (missing, a file where a folder is expected), a
 * {@link FileAccessError} (exit 3) when the machine refuses (permission, full or read-only disk).
 * Anything else is returned unchanged.
 */
export function fileError(error: unknown, path?: string): unknown {
  if (!isFileSystemError(error)) return error;
  const code = error.code!;
  const where = path ?? error.path ?? '(unknown path)';
  const input = INPUT_CODES[code];
  if (input) return new DataFileError(where, `${input} (${code})`);
  return new FileAccessError(where, `${ENVIRONMENT_CODES[code]} (${code})`);
}

/**
 * `stat(path)`, or `undefined` when nothing is there (ENOENT). Any other failure (a folder on
 * the way without permission: EACCES) is thrown as {@link fileError} says, so it is never
 * reported as "no such file".
 */
export async function statPath(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(error, path);
  }
}
