import { readFile, stat } from 'node:fs/promises';
import { DataFileError } from './data-file-error.js';

/**
 * The lines of a UTF-8 text file given on the command line, without their line endings (`\n` or
 * `\r\n`; a final newline does not make an extra line). Missing, non-regular, empty and binary
 * (NUL byte) files are {@link DataFileError}s naming the file, and the line for a NUL byte.
 */
export async function readTextLines(file: string): Promise<string[]> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new DataFileError(file, 'no such file');
  if (!info.isFile()) throw new DataFileError(file, 'not a regular file');
  const bytes = await readFile(file);
  if (bytes.length === 0) throw new DataFileError(file, 'the file is empty');
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('utf8').split('\n').length;
    throw new DataFileError(
      file,
      'contains a NUL byte: this looks like a binary file, not text',
      line,
    );
  }
  const lines = bytes.toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
