import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataFileError, fileError, statPath } from '@tformer/app-kit';

export interface Corpus {
  text: string;
  /** Where the text came from, for the run's config and the log. */
  source: string;
}

/**
 * The default corpus: declaration files of the TypeScript compiler, which every install of this
 * workspace has. English prose in doc comments plus code, ~370 KB: enough for a small model to
 * learn words and syntax in a couple of minutes.
 */
const DEFAULT_LIB_FILES = [
  'lib.es5.d.ts',
  'lib.es2015.core.d.ts',
  'lib.es2015.collection.d.ts',
  'lib.es2015.promise.d.ts',
  'lib.es2015.iterable.d.ts',
  'lib.es2017.object.d.ts',
  'lib.es2020.bigint.d.ts',
  'lib.es2022.intl.d.ts',
];

/** Reads `--data` if given, else the default corpus; bad files are {@link DataFileError}s. */
export async function loadCorpus(dataPath: string | undefined, minChars: number): Promise<Corpus> {
  if (dataPath === undefined) {
    const libDir = join(
      dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
      'lib',
    );
    const texts = await Promise.all(
      DEFAULT_LIB_FILES.map((f) => readFile(join(libDir, f), 'utf8')),
    );
    // Drop the licence header each file repeats: it would dominate what the model memorises.
    const text = texts.map((t) => t.replace(/^\/\*![\s\S]*?\*\/\s*/, '')).join('\n');
    return { text, source: `typescript/lib (${DEFAULT_LIB_FILES.length} lib.*.d.ts files)` };
  }
  const info = await statPath(dataPath);
  if (!info) throw new DataFileError(dataPath, 'no such file');
  if (!info.isFile()) throw new DataFileError(dataPath, 'not a regular file');
  const bytes = await readFile(dataPath).catch((error: unknown) => {
    throw fileError(error, dataPath);
  });
  if (bytes.length === 0) throw new DataFileError(dataPath, 'the file is empty');
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('utf8').split('\n').length;
    throw new DataFileError(
      dataPath,
      'contains a NUL byte: this looks like a binary file, not text',
      line,
    );
  }
  const text = bytes.toString('utf8');
  if (text.length < minChars) {
    throw new DataFileError(
      dataPath,
      `only ${text.length} characters; need at least ${minChars} to train and validate`,
    );
  }
  return { text, source: dataPath };
}
