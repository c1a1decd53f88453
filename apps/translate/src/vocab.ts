import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError, fileError, writeFileAtomic } from '@tformer/app-kit';
import { BpeTrainer, BytePairTokenizer } from '@tformer/tokenizer';

/** Padding, start and end of sentence: the first three model ids on both sides. */
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
/** Ids below this are the specials; BPE id i is model id i + SPECIALS. */
export const SPECIALS = 3;

/**
 * A byte-level BPE whose ids are shifted up by three so that PAD, BOS and EOS have the same ids
 * in the source and the target vocabulary — the model has one `padTokenId` for both — whatever
 * size each side's BPE ends up with.
 */
export class Vocab {
  constructor(readonly bpe: BytePairTokenizer) {}

  /** Model vocabulary size: the BPE's plus the three specials. */
  get size(): number {
    return this.bpe.vocabSize + SPECIALS;
  }

  encode(text: string): number[] {
    return this.bpe.encode(text).map((id) => id + SPECIALS);
  }

  /** Text of model ids; specials (padding, BOS, EOS) are dropped. */
  decode(ids: readonly number[]): string {
    return this.bpe.decode(ids.filter((id) => id >= SPECIALS).map((id) => id - SPECIALS));
  }

  static train(texts: readonly string[], bpeSize: number): Vocab {
    return new Vocab(new BpeTrainer({ vocabSize: bpeSize }).train(texts.join('\n')));
  }
}

/** The source and target vocabularies of a run; the same object twice when shared. */
export interface Vocabs {
  src: Vocab;
  tgt: Vocab;
}

export function trainVocabs(
  pairs: readonly { src: string; tgt: string }[],
  bpeSize: number,
  shared: boolean,
): Vocabs {
  if (shared) {
    const vocab = Vocab.train(
      pairs.flatMap((p) => [p.src, p.tgt]),
      bpeSize,
    );
    return { src: vocab, tgt: vocab };
  }
  return {
    src: Vocab.train(
      pairs.map((p) => p.src),
      bpeSize,
    ),
    tgt: Vocab.train(
      pairs.map((p) => p.tgt),
      bpeSize,
    ),
  };
}

const VOCAB_FILE = 'vocab.json';

export async function saveVocabs(dir: string, vocabs: Vocabs): Promise<void> {
  const json =
    vocabs.src === vocabs.tgt
      ? { shared: vocabs.src.bpe.toJSON() }
      : { src: vocabs.src.bpe.toJSON(), tgt: vocabs.tgt.bpe.toJSON() };
  await writeFileAtomic(join(dir, VOCAB_FILE), JSON.stringify(json));
}

/** The vocabularies of `dir`'s `name` (default: a run directory's vocab.json). */
export async function loadVocabs(dir: string, name = VOCAB_FILE): Promise<Vocabs> {
  const file = join(dir, name);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw fileError(error, file);
    throw new DataFileError(file, 'missing: is this a run directory made by `train`?');
  });
  const json = JSON.parse(text) as { shared?: object; src?: object; tgt?: object };
  if (json.shared) {
    const vocab = new Vocab(BytePairTokenizer.fromJSON(json.shared));
    return { src: vocab, tgt: vocab };
  }
  if (!json.src || !json.tgt) throw new DataFileError(file, 'expected "shared" or "src" and "tgt"');
  return {
    src: new Vocab(BytePairTokenizer.fromJSON(json.src)),
    tgt: new Vocab(BytePairTokenizer.fromJSON(json.tgt)),
  };
}
