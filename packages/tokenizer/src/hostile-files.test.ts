import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR } from './bytes.js';
import { BytePairTokenizer, CharTokenizer, TokenizerError, WordPieceTokenizer } from './index.js';
import { compilePattern, type SplitOptions, splitSpans } from './pretokenize.js';

function errorOf(f: () => unknown): TokenizerError {
  const start = performance.now();
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    // A hang detector, not a speed assertion: each of these used to take a minute or more.
    expect(performance.now() - start).toBeLessThan(5_000);
    return e as TokenizerError;
  }
  throw new Error('expected a TokenizerError');
}

/** A byte-level vocabulary with one token per byte (ids 0…255), as `{ "Ġ": 32, … }`. */
const BYTE_VOCAB: Record<string, number> = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [BYTE_TO_CHAR[b]!, b]),
);

function bpeFile(extra: object = {}, model: object = {}): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab: BYTE_VOCAB, merges: [], ...model },
    ...extra,
  };
}

/**
 * A BPE file whose pre-tokenizer is Split(`pattern`, `behavior`) then a ByteLevel without its own
 * regex (`byteLevel`: its other settings), as transformers writes a custom split.
 */
function splitFile(pattern: string, behavior: string, byteLevel: object = {}) {
  return bpeFile({
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: pattern }, behavior, invert: false },
        { type: 'ByteLevel', ...byteLevel, use_regex: false },
      ],
    },
  });
}

describe('vocabulary ids from a file are dense-enough int32 ids (fault 4, 6)', () => {
  it('rejects one vocab id of 100,000,000 in a 2.5 kB tokenizer.json at once', () => {
    const file = JSON.stringify(bpeFile({}, { vocab: { ...BYTE_VOCAB, hello: 100_000_000 } }));
    const e = errorOf(() => BytePairTokenizer.fromJSON(file));
    expect(e.reason).toBe('invalid-format');
    expect(e.message).toContain('model.vocab');
    expect(e.message).toContain('100000000');
  });

  it.each([2 ** 40, -1, 1.5e9, 0.5])('rejects BPE added_tokens id %s naming the field', (id) => {
    const file = bpeFile({ added_tokens: [{ id, content: '<eos>', special: true }] });
    const e = errorOf(() => BytePairTokenizer.fromJSON(file));
    expect(e.reason).toBe('invalid-format');
    expect(e.where.field).toMatch(/^added_tokens\[0\]\.id$|added_tokens/);
  });

  it.each([2 ** 40, -1, 1.5e9])('rejects WordPiece vocab id %s naming the field', (id) => {
    const file = {
      model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0, a: 1, b: id } },
    };
    const e = errorOf(() => WordPieceTokenizer.fromJSON(file));
    expect(e.reason).toBe('invalid-format');
    expect(e.where.field).toBe('model.vocab');
  });

  it('rejects sparse ids in rank files and programmatic tables too', () => {
    expect(
      errorOf(() => BytePairTokenizer.fromTiktoken('YQ== 100000000', { pattern: '.' })).reason,
    ).toBe('invalid-format');
    const tokens: string[] = [];
    tokens[50_000_000] = 'a';
    expect(errorOf(() => new BytePairTokenizer({ tokens })).reason).toBe('invalid-format');
    const special = { tokens: { '<s>': 2 ** 40 } };
    expect(errorOf(() => new BytePairTokenizer({ tokens: ['a'], special })).reason).toBe(
      'invalid-format',
    );
    const vocab = new Map([
      ['[UNK]', 0],
      ['a', 1.5e9],
    ]);
    expect(errorOf(() => new WordPieceTokenizer({ vocab })).reason).toBe('invalid-format');
  });

  it('still accepts a few holes (a dense vocabulary with specials past its end)', () => {
    const file = bpeFile({ added_tokens: [{ id: 1000, content: '<eos>', special: true }] });
    const tok = BytePairTokenizer.fromJSON(file);
    expect(tok.vocabSize).toBe(1001);
    expect(tok.decode(tok.encode('a<eos>', { allowedSpecial: 'all' }))).toBe('a<eos>');
  });
});

describe('empty special tokens are rejected at construction (fault 5)', () => {
  it('CharTokenizer specialTokens: [""]', () => {
    const e = errorOf(() => CharTokenizer.fromCorpus('abc', { specialTokens: [''] }));
    expect(e.reason).toBe('invalid-format');
    expect(e.where.field).toBe('specialTokens');
  });

  it('tokenizer.json added_tokens: [{ content: "" }]', () => {
    const file = bpeFile({ added_tokens: [{ id: 256, content: '', special: true }] });
    const e = errorOf(() => BytePairTokenizer.fromJSON(file));
    expect(e.where.field).toBe('added_tokens[0].content');
  });

  it('a special-token map with an empty key', () => {
    const e = errorOf(
      () => new BytePairTokenizer({ tokens: ['a'], special: { tokens: { '': 1 } } }),
    );
    expect(e.reason).toBe('invalid-format');
  });
});

describe('decode never turns a non-integer into a token', () => {
  const tok = CharTokenizer.fromCorpus('abc');
  it.each([null, '0', 1.5, -1, Number.NaN, undefined])('CharTokenizer.decode([%s])', (id) => {
    expect(errorOf(() => tok.decode([id as unknown as number])).reason).toBe('id-out-of-range');
  });
  it('BytePairTokenizer and WordPieceTokenizer too', () => {
    const bpe = BytePairTokenizer.fromJSON(bpeFile());
    expect(errorOf(() => bpe.decode(['0' as unknown as number])).reason).toBe('id-out-of-range');
    expect(errorOf(() => bpe.decode(new Float32Array([1.5]))).reason).toBe('id-out-of-range');
    const wp = WordPieceTokenizer.fromVocabTxt('[UNK]\na');
    expect(errorOf(() => wp.decode(['1' as unknown as number])).reason).toBe('id-out-of-range');
  });
});

describe('Hugging Face Split pre-tokenizer behaviors (fault 7)', () => {
  // The examples of Hugging Face's SplitDelimiterBehavior documentation.
  const pieces = (text: string, pattern: string, split: SplitOptions) => {
    const spans = splitSpans(text, compilePattern(pattern), split);
    const out: string[] = [];
    for (let i = 0; i < spans.length; i += 2) out.push(text.slice(spans[i], spans[i + 1]));
    return out;
  };
  it.each([
    ['Removed', ['the', 'final', 'countdown']],
    ['Isolated', ['the', '-', 'final', '-', '-', 'countdown']],
    ['MergedWithPrevious', ['the-', 'final-', '-', 'countdown']],
    ['MergedWithNext', ['the', '-final', '-', '-countdown']],
    ['Contiguous', ['the', '-', 'final', '--', 'countdown']],
  ] as const)('%s', (behavior, expected) => {
    expect(pieces('the-final--countdown', '-', { behavior })).toEqual(expected);
  });

  it('invert swaps matched and unmatched text; empty matches follow find_iter', () => {
    const text = 'hello, world!';
    expect(pieces(text, '\\p{L}+', { behavior: 'Removed', invert: true })).toEqual([
      'hello',
      'world',
    ]);
    expect(pieces(text, '\\p{L}+', { behavior: 'Removed' })).toEqual([', ', '!']);
    expect(pieces(text, '\\p{L}+', { behavior: 'MergedWithPrevious', invert: true })).toEqual([
      'hello, ',
      'world!',
    ]);
    // x* matches empty at every position: the text falls apart into characters.
    expect(pieces('ab😀', 'x*', { behavior: 'Isolated' })).toEqual(['a', 'b', '😀']);
  });

  it('a tokenizer.json with Split(\\p{L}+, Isolated) keeps the unmatched text', () => {
    const file = splitFile('\\p{L}+', 'Isolated', { add_prefix_space: false, trim_offsets: true });
    const tok = BytePairTokenizer.fromJSON(file);
    const text = 'hello, world!';
    expect(tok.decode(tok.encode(text))).toBe(text);
    const hf = new HfTokenizer(JSON.parse(JSON.stringify(file)), {});
    expect(tok.encode(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
    // Written back, the settings survive.
    const back = BytePairTokenizer.fromJSON(JSON.stringify(tok.toJSON()));
    expect(back.split).toEqual({ behavior: 'Isolated', invert: false });
    expect(back.decode(back.encode(text))).toBe(text);
  });

  it('a tiktoken-style pattern without split settings is written as Removed + invert', () => {
    const tok = new BytePairTokenizer({
      tokens: Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)),
      pattern: '\\p{L}+',
    });
    expect(tok.decode(tok.encode('hello, world!'))).toBe('helloworld');
    const back = BytePairTokenizer.fromJSON(JSON.stringify(tok.toJSON()));
    expect(back.split).toEqual({ behavior: 'Removed', invert: true });
    expect(back.decode(back.encode('hello, world!'))).toBe('helloworld');
  });

  it('rejects an unknown behavior naming the field', () => {
    const file = splitFile('a', 'Sideways');
    expect(errorOf(() => BytePairTokenizer.fromJSON(file)).where.field).toBe(
      'pre_tokenizer.pretokenizers[0].behavior',
    );
  });
});
