import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError, fileError, writeFileAtomic } from '@tformer/app-kit';
import { WordPieceTokenizer, WordPieceTrainer } from '@tformer/tokenizer';

const VOCAB_FILE = 'tokenizer.json';

/** Id of [PAD], the WordPiece trainer's first special token: masked out of attention and pooling. */
export const PAD = 0;

/** A WordPiece vocabulary (BERT-style, lower-cased) learned from the training texts. */
export function trainTokenizer(texts: readonly string[], vocabSize: number): WordPieceTokenizer {
  const tokenizer = new WordPieceTrainer({ vocabSize }).train(texts);
  if (tokenizer.tokenToId('[PAD]') !== PAD)
    throw new Error('WordPieceTrainer: expected [PAD] to be id 0');
  return tokenizer;
}

/** Ids of `text`, cut to `maxLength` (the Keras example's `maxlen`); unknown words become [UNK]. */
export function encodeText(
  tokenizer: WordPieceTokenizer,
  text: string,
  maxLength: number,
): number[] {
  return tokenizer.encode(text).slice(0, maxLength);
}

/** Which percentile of the training texts' token lengths the default `--max-length` is. */
export const LENGTH_PERCENTILE = 0.99;
/** The longest default `--max-length`: attention's cost grows with its square. */
export const MAX_LENGTH_CAP = 256;

/**
 * The default `--max-length`: the {@link LENGTH_PERCENTILE} of the training texts' token lengths
 * (nearest rank), so that the data, not a constant, decides where texts are cut; at least 1 and at
 * most {@link MAX_LENGTH_CAP}.
 */
export function lengthPercentile(lengths: readonly number[]): number {
  const sorted = [...lengths].sort((a, b) => a - b);
  const rank = Math.ceil(LENGTH_PERCENTILE * sorted.length);
  return Math.min(MAX_LENGTH_CAP, Math.max(1, sorted[rank - 1] ?? 1));
}

export async function saveTokenizer(dir: string, tokenizer: WordPieceTokenizer): Promise<void> {
  await writeFileAtomic(join(dir, VOCAB_FILE), JSON.stringify(tokenizer.toJSON()));
}

export async function loadTokenizer(dir: string): Promise<WordPieceTokenizer> {
  const file = join(dir, VOCAB_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw fileError(error, file);
    throw new DataFileError(file, 'missing: is this a run directory made by `train`?');
  });
  return WordPieceTokenizer.fromJSON(text);
}
