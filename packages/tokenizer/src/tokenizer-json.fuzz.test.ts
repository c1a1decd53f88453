import { fuzzFormat } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { BpeTrainer } from './bpe-trainer.js';
import { BytePairTokenizer } from './byte-pair-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { TokenizerError } from './errors.js';
import { ID_SLACK } from './ids.js';
import type { Tokenizer } from './tokenizer.js';
import { WordPieceTokenizer } from './word-piece-tokenizer.js';
import { WordPieceTrainer } from './word-piece-trainer.js';

// Issue 12: tokenizer.json of every kind, fuzzed. A file loads to a tokenizer whose vocabulary
// the file justifies and whose encode/decode round-trip on a short text, or fails with a
// TokenizerError; never a hang, a RangeError or an id its own decode rejects.
const corpus = ['hello world, hello there!', 'the lower newest widest <eos>', 'héllo 👋 wörld'];

const kinds: Array<[string, object, (json: string) => Tokenizer]> = [
  [
    'BPE',
    new BpeTrainer({ vocabSize: 264, specialTokens: ['<eos>'] }).train(corpus).toJSON(),
    (json) => BytePairTokenizer.fromJSON(json),
  ],
  [
    'WordPiece',
    new WordPieceTrainer({ vocabSize: 120 }).train(corpus).toJSON(),
    (json) => WordPieceTokenizer.fromJSON(json),
  ],
  [
    'char',
    CharTokenizer.fromCorpus(corpus.join('\n'), {
      specialTokens: ['<unk>', '<eos>'],
      unknown: { token: '<unk>' },
    }).toJSON(),
    (json) => CharTokenizer.fromJSON(json),
  ],
];

it.each(kinds)(
  'tokenizer.json (%s): 5,000 mutations give a TokenizerError or a usable tokenizer',
  async (kind, seed, load) => {
    const report = await fuzzFormat({
      format: `tokenizer.json (${kind})`,
      seeds: [seed],
      parse: (input) => load(input as string),
      isTypedError: (e) => e instanceof TokenizerError,
      check: (tokenizer, input) => {
        // Ids are dense enough: no vocabulary the file does not justify.
        expect(tokenizer.vocabSize).toBeLessThanOrEqual(2 * input.length + ID_SLACK);
        let ids: number[];
        try {
          ids = tokenizer.encode('hello wörld <eos>');
        } catch (e) {
          // A loaded vocabulary may lack what this text needs (no unknown token): typed.
          if (e instanceof TokenizerError) return;
          throw e;
        }
        for (const id of ids) expect(id).toBeLessThan(tokenizer.vocabSize);
        expect(typeof tokenizer.decode(ids)).toBe('string');
      },
    });
    process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
    expect(report.cases).toBeGreaterThanOrEqual(5_000);
    expect(report.valid).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  },
);
