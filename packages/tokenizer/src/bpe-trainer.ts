import { BytePairTokenizer } from './byte-pair-tokenizer.js';
import { utf8ByteString } from './bytes.js';
import { assertString, TokenizerError } from './errors.js';
import { learnMerges, type WordType } from './pair-merger.js';
import { compilePattern, GPT2_PATTERN } from './pretokenize.js';

/** Options for {@link BpeTrainer}. */
export interface BpeTrainerOptions {
  /** Final vocabulary size, the 256 byte tokens and the special tokens included. */
  readonly vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  readonly minFrequency?: number;
  /** Special tokens, given the ids after the learned tokens. */
  readonly specialTokens?: readonly string[];
  /** Pre-tokenization pattern. Default {@link GPT2_PATTERN}. */
  readonly pattern?: string;
}

/**
 * Trains a byte-level BPE tokenizer: ids 0–255 are the bytes, then one token per merge in the
 * order learned, then the special tokens. Pair counts are updated incrementally per merge (only
 * the words containing the merged pair are touched), so training 1 MB of text to 4,096 tokens
 * takes seconds.
 *
 * @param options - vocabulary size, minimum pair frequency, special tokens, split pattern.
 *
 * @example
 * ```ts
 * const trainer = new BpeTrainer({ vocabSize: 300, specialTokens: ['<|endoftext|>'] });
 * const tok = trainer.train(['low lower lowest', 'new newer newest']);
 * tok.decode(tok.encode('lowest newest')); // 'lowest newest'
 * ```
 */
export class BpeTrainer {
  readonly options: Required<BpeTrainerOptions>;

  constructor(options: BpeTrainerOptions) {
    const specials = options.specialTokens ?? [];
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < 256 + specials.length) {
      throw new TokenizerError(
        'invalid-input',
        `vocabSize must be an integer ≥ 256 + the number of special tokens, got ${options.vocabSize}`,
        { field: 'vocabSize' },
      );
    }
    this.options = {
      vocabSize: options.vocabSize,
      minFrequency: options.minFrequency ?? 2,
      specialTokens: specials,
      pattern: options.pattern ?? GPT2_PATTERN,
    };
  }

  /** Learns merges from `texts` and returns the tokenizer. */
  train(texts: string | Iterable<string>): BytePairTokenizer {
    const { vocabSize, minFrequency, specialTokens, pattern } = this.options;
    const pieces = new Map<string, number>();
    const re = compilePattern(pattern);
    for (const text of typeof texts === 'string' ? [texts] : texts) {
      assertString(text, 'training text');
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) re.lastIndex++;
        else pieces.set(m[0], (pieces.get(m[0]) ?? 0) + 1);
      }
    }
    const words: WordType[] = [];
    for (const [piece, count] of pieces) {
      const bytes = utf8ByteString(piece);
      const symbols = new Array<number>(bytes.length);
      for (let i = 0; i < bytes.length; i++) symbols[i] = bytes.charCodeAt(i);
      words.push({ symbols, count });
    }
    const tokens: string[] = [];
    const ids = new Map<string, number>();
    for (let b = 0; b < 256; b++) {
      tokens.push(String.fromCharCode(b));
      ids.set(tokens[b]!, b);
    }
    const room = vocabSize - specialTokens.length;
    const merges = learnMerges(words, {
      minFrequency,
      symbolFor: (a, b) => {
        const text = tokens[a]! + tokens[b]!;
        let id = ids.get(text);
        if (id === undefined) {
          id = tokens.push(text) - 1;
          ids.set(text, id);
        }
        return id;
      },
      shouldStop: () => tokens.length >= room,
    });
    return new BytePairTokenizer({
      tokens,
      merges,
      ignoreMerges: false,
      pattern,
      special: { tokens: new Map(specialTokens.map((t, i) => [t, tokens.length + i] as const)) },
    });
  }
}
