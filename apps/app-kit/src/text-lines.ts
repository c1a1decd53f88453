import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { DataFileError } from './data-file-error.js';
import { fileError, statPath } from './file-errors.js';

/**
 * The lines of a UTF-8 text file given on the command line, without their line endings (`\n` or
 * `\r\n`; a final newline does not make an extra line). Missing, non-regular, empty and binary
 * (NUL byte) files are {@link DataFileError}s naming the file, and the line for a NUL byte.
 */
export async function readTextLines(file: string): Promise<string[]> {
  const info = await statPath(file);
  if (!info) throw new DataFileError(file, 'no such file');
  if (!info.isFile()) throw new DataFileError(file, 'not a regular file');
  const bytes = await readFile(file).catch((error: unknown) => {
    throw fileError(error, file);
  });
  return textLinesOf(bytes, file);
}

/** {@link readTextLines} on bytes already read: the checks and the split, without the file system. */
export function textLinesOf(bytes: Uint8Array, file: string): string[] {
  if (bytes.length === 0) throw new DataFileError(file, 'the file is empty');
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = UTF8.decode(bytes.subarray(0, nul)).split('\n').length;
    throw new DataFileError(
      file,
      'contains a NUL byte: this looks like a binary file, not text',
      line,
    );
  }
  const lines = UTF8.decode(bytes).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * What a command works on: its `args` when there are any, else the lines of `stdin` (`predict <
 * texts.txt`): those that are not blank, or with `keepBlank` every line (a final newline adds
 * none), for commands that print one line out per line in (`translate < in > out` must stay
 * line-parallel to `in`).
 */
export async function argsOrStdinLines(
  args: readonly string[],
  { keepBlank = false, stdin = process.stdin }: { keepBlank?: boolean; stdin?: Readable } = {},
): Promise<string[]> {
  if (args.length > 0) return [...args];
  const lines = (await text(stdin)).split(/\r?\n/);
  if (!keepBlank) return lines.filter((line) => line.trim() !== '');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** UTF-8 as Node's `Buffer.toString` reads it: a byte-order mark stays part of the first line. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
