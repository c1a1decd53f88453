import { type BertNormalization, bertWords } from './bert-pre-tokenizer.js';
import { assertString, TokenizerError } from './errors.js';
import { learnMerges, type WordType } from './pair-merger.js';
import { WordPieceTokenizer } from './word-piece-tokenizer.js';

/** Options for {@link WordPieceTrainer}. */
export interface WordPieceTrainerOptions extends BertNormalization {
  /** Final vocabulary size, special tokens and alphabet included. */
  readonly vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  readonly minFrequency?: number;
  /** Special tokens, the first ids. Default `[PAD] [UNK] [CLS] [SEP] [MASK]`. */
  readonly specialTokens?: readonly string[];
  /** Default `##`. */
  readonly continuingSubwordPrefix?: string;
}

/**
 * Trains a WordPiece vocabulary the way Hugging Face does: BERT pre-tokenization, then BPE merges
 * over characters where non-initial characters carry the `##` prefix. The vocabulary is the
 * special tokens, the alphabet (`c` and `##c`) and the merged tokens, in that order.
 *
 * @param options - vocabulary size, minimum frequency, special tokens, normalization.
 *
 * @example
 * ```ts
 * const tok = new WordPieceTrainer({ vocabSize: 120 }).train(['Hello hello world!', 'worldly hellos']);
 * tok.decode(tok.encode('hello worldly')); // 'hello worldly'
 * ```
 */
export class WordPieceTrainer {
  readonly options: WordPieceTrainerOptions;

  constructor(options: WordPieceTrainerOptions) {
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) {
      throw new TokenizerError('invalid-input', 'vocabSize must be a positive integer', {
        field: 'vocabSize',
      });
    }
    this.options = options;
  }

  /** Learns the vocabulary from `texts` and returns the tokenizer. */
  train(texts: string | Iterable<string>): WordPieceTokenizer {
    const o = this.options;
    const prefix = o.continuingSubwordPrefix ?? '##';
    const specials = o.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const counts = new Map<string, number>();
    for (const text of typeof texts === 'string' ? [texts] : texts) {
      assertString(text, 'training text');
      for (const w of bertWords(text, o)) counts.set(w.text, (counts.get(w.text) ?? 0) + 1);
    }
    const alphabet = new Set<string>();
    for (const w of counts.keys()) {
      [...w].forEach((c, i) => {
        alphabet.add(i === 0 ? c : prefix + c);
      });
    }
    const vocab: string[] = [...specials];
    const ids = new Map<string, number>();
    vocab.forEach((t, i) => {
      ids.set(t, i);
    });
    for (const a of [...alphabet].sort()) {
      if (!ids.has(a)) ids.set(a, vocab.push(a) - 1);
    }
    const words: WordType[] = [];
    for (const [w, count] of counts) {
      words.push({ symbols: [...w].map((c, i) => ids.get(i === 0 ? c : prefix + c)!), count });
    }
    learnMerges(words, {
      minFrequency: o.minFrequency ?? 2,
      symbolFor: (a, b) => {
        const text = vocab[a]! + vocab[b]!.slice(prefix.length);
        let id = ids.get(text);
        if (id === undefined) {
          id = vocab.push(text) - 1;
          ids.set(text, id);
        }
        return id;
      },
      shouldStop: () => vocab.length >= o.vocabSize,
    });
    return new WordPieceTokenizer({
      ...o,
      vocab,
      specialTokens: specials,
      continuingSubwordPrefix: prefix,
      unkToken: specials.includes('[UNK]') ? '[UNK]' : undefined,
    });
  }
}
