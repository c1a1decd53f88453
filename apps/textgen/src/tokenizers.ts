import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError, fileError, writeFileAtomic } from '@tformer/app-kit';
import { BpeTrainer, BytePairTokenizer, CharTokenizer } from '@tformer/tokenizer';

export type TokenizerKind = 'char' | 'bpe';
export type TextTokenizer = CharTokenizer | BytePairTokenizer;

const TOKENIZER_FILE = 'tokenizer.json';

/**
 * Learns the tokenizer from the training text: every character it contains (`char`), or a
 * byte-level BPE of `vocabSize` tokens (`bpe`), which can encode any text at all.
 */
export function trainTokenizer(
  kind: TokenizerKind,
  text: string,
  vocabSize: number,
): TextTokenizer {
  if (kind === 'char') return CharTokenizer.fromCorpus(text, { unknown: 'skip' });
  return new BpeTrainer({ vocabSize }).train(text);
}

export async function saveTokenizer(dir: string, tokenizer: TextTokenizer): Promise<void> {
  const json = {
    kind: tokenizer instanceof CharTokenizer ? 'char' : 'bpe',
    tokenizer: tokenizer.toJSON(),
  };
  await writeFileAtomic(join(dir, TOKENIZER_FILE), JSON.stringify(json));
}

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const file = join(dir, TOKENIZER_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw fileError(error, file);
    throw new DataFileError(file, 'missing: is this a run directory made by `train`?');
  });
  const { kind, tokenizer } = JSON.parse(text) as { kind: TokenizerKind; tokenizer: object };
  return kind === 'char'
    ? CharTokenizer.fromJSON(tokenizer)
    : BytePairTokenizer.fromJSON(tokenizer);
}
