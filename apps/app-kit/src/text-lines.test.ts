import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { argsOrStdinLines, readTextLines } from './text-lines.js';

describe('readTextLines', () => {
  it('splits on \\n and \\r\\n; a final newline adds no line, inner empty lines stay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-kit-lines-'));
    const file = join(dir, 'a.txt');
    await writeFile(file, 'one\r\ntwo\n\nfour\n');
    expect(await readTextLines(file)).toEqual(['one', 'two', '', 'four']);
  });

  it('names the file (and the line of a NUL byte) when it cannot be text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-kit-lines-'));
    await expect(readTextLines(join(dir, 'none.txt'))).rejects.toThrow(/none\.txt: no such file/);
    await expect(readTextLines(dir)).rejects.toThrow(/: not a regular file/);
    await writeFile(join(dir, 'empty.txt'), '');
    await expect(readTextLines(join(dir, 'empty.txt'))).rejects.toThrow(
      /empty\.txt: the file is empty/,
    );
    await writeFile(join(dir, 'bin.txt'), 'a\nb\n\u0000');
    await expect(readTextLines(join(dir, 'bin.txt'))).rejects.toThrow(
      /bin\.txt:3: contains a NUL byte/,
    );
  });
});

describe('argsOrStdinLines', () => {
  const stdin = () => Readable.from(['12\r\n\n707\n  \n', '2024\n']);

  it('gives the args when there are any, else the lines of stdin that are not blank', async () => {
    expect(await argsOrStdinLines(['a', ''], { stdin: stdin() })).toEqual(['a', '']);
    expect(await argsOrStdinLines([], { stdin: stdin() })).toEqual(['12', '707', '2024']);
  });

  it('keeps every line with keepBlank (one line out per line in), a final newline adding none', async () => {
    expect(await argsOrStdinLines([], { keepBlank: true, stdin: stdin() })).toEqual([
      '12',
      '',
      '707',
      '  ',
      '2024',
    ]);
  });
});
