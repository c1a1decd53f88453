import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { thrownError } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { FIXED_CORPUS, isWellFormed, load } from '../test/fixtures.js';
import {
  BpeTrainer,
  BytePairTokenizer,
  TokenizerError,
  WordPieceTokenizer,
  WordPieceTrainer,
} from './index.js';

const TEXTS = FIXED_CORPUS.filter(isWellFormed);
const allow = { allowedSpecial: 'all' } as const;

/** What a file written by us yields when @huggingface/tokenizers loads it. */
function hfLoad(json: object): HfTokenizer {
  return new HfTokenizer(JSON.parse(JSON.stringify(json)), {});
}

function hfIds(hf: HfTokenizer, text: string): number[] {
  return hf.encode(text, { add_special_tokens: false }).ids;
}

const errorOf = (f: () => unknown) => thrownError(f, TokenizerError);

describe.each(['gpt2', 'cl100k_base'] as const)('tokenizer.json for %s', (name) => {
  const { ours } = load(name);
  const json = ours.toJSON();

  it('loads in @huggingface/tokenizers with identical ids', () => {
    const hf = hfLoad(json);
    for (const s of TEXTS) expect(hfIds(hf, s), JSON.stringify(s)).toEqual(ours.encode(s, allow));
  });

  it('loads back here with identical ids, vocab and specials', () => {
    const back = BytePairTokenizer.fromJSON(JSON.stringify(json));
    expect(back.vocabSize).toBe(ours.vocabSize);
    expect(back.pattern).toBe(ours.pattern);
    expect([...back.specialTokens]).toEqual([...ours.specialTokens]);
    for (const s of TEXTS) expect(back.encode(s, allow)).toEqual(ours.encode(s, allow));
  });
});

describe('tokenizer.json written by others', () => {
  const vocab = { a: 0, b: 1, c: 2, Ġ: 3, ab: 4, abc: 5, Ġab: 6, '<eos>': 7 };
  const file = {
    version: '1.0',
    added_tokens: [{ id: 7, content: '<eos>', special: true }],
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<eos>', type_id: 0 } },
      ],
      special_tokens: { '<eos>': { id: '<eos>', ids: [7], tokens: ['<eos>'] } },
    },
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      vocab,
      merges: [
        ['a', 'b'],
        ['ab', 'c'],
        ['Ġ', 'ab'],
      ],
    },
  };

  it('reads pair merges, added tokens and the template like @huggingface/tokenizers', () => {
    const ours = BytePairTokenizer.fromJSON(file);
    const hf = hfLoad(file);
    for (const s of ['abc ab', 'ab abc cab', 'a<eos>b']) {
      expect(ours.encode(s, allow)).toEqual(hfIds(hf, s));
    }
    expect(ours.encode('abc', { addSpecialTokens: true })).toEqual([5, 7]);
    const strings = { ...file, model: { ...file.model, merges: ['a b', 'ab c', 'Ġ ab'] } };
    expect(BytePairTokenizer.fromJSON(strings).encode('abc ab')).toEqual([5, 6]);
  });

  it('raises typed errors naming what and where', () => {
    expect(errorOf(() => BytePairTokenizer.fromJSON('{"model": ')).reason).toBe('invalid-json');
    expect(errorOf(() => BytePairTokenizer.fromJSON('[1]')).reason).toBe('invalid-format');
    const badMerge = {
      ...file,
      model: {
        ...file.model,
        merges: [
          ['a', 'b'],
          ['ab', 'zz'],
        ],
      },
    };
    const e = errorOf(() => BytePairTokenizer.fromJSON(badMerge));
    expect(e.reason).toBe('unknown-token');
    expect(e.where).toEqual({ source: 'model.merges', index: 1, token: 'zz' });
    const dup = { ...file, model: { ...file.model, vocab: { ...vocab, bb: 1 } } };
    expect(errorOf(() => BytePairTokenizer.fromJSON(dup)).reason).toBe('duplicate-rank');
    const wordPiece = { ...file, model: { type: 'WordPiece', vocab: {} } };
    expect(errorOf(() => BytePairTokenizer.fromJSON(wordPiece)).reason).toBe('unsupported');
    const prefixed = { ...file, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true } };
    expect(errorOf(() => BytePairTokenizer.fromJSON(prefixed)).where).toEqual({
      field: 'pre_tokenizer',
    });
    expect(errorOf(() => WordPieceTokenizer.fromJSON(file)).reason).toBe('unsupported');
  });
});

describe('trained tokenizers round-trip through tokenizer.json', () => {
  const corpus = [
    'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs!',
    'Tokenizers split text into pieces: words, sub-words and bytes. 1234 5678',
    'Unaffable, unwanted, running, jumped — naïve café 東京 😀',
  ];
  const probe = ['the fox sleeps', 'unwanted runners jumped 42 times', 'naïve café 東京 😀!'];

  it('a trained BPE loads in @huggingface/tokenizers with identical ids', () => {
    const ours = new BpeTrainer({
      vocabSize: 320,
      minFrequency: 1,
      specialTokens: ['<|eot|>'],
    }).train(corpus);
    const hf = hfLoad(ours.toJSON());
    for (const s of [...corpus, ...probe, 'x<|eot|>y'])
      expect(hfIds(hf, s)).toEqual(ours.encode(s, allow));
    const back = BytePairTokenizer.fromJSON(JSON.stringify(ours.toJSON()));
    for (const s of probe) expect(back.encode(s)).toEqual(ours.encode(s));
  });

  it('a WordPiece tokenizer loads in @huggingface/tokenizers with identical ids', () => {
    const ours = new WordPieceTrainer({ vocabSize: 200, minFrequency: 1 }).train(corpus);
    const hf = hfLoad(ours.toJSON());
    for (const s of [...corpus, ...probe]) {
      expect(hfIds(hf, s)).toEqual(ours.encode(s));
      expect(hf.encode(s).ids).toEqual(ours.encode(s, { addSpecialTokens: true }));
    }
    const back = WordPieceTokenizer.fromJSON(JSON.stringify(ours.toJSON()));
    expect(back.vocabSize).toBe(ours.vocabSize);
    for (const s of probe)
      expect(back.encode(s, { addSpecialTokens: true })).toEqual(
        ours.encode(s, { addSpecialTokens: true }),
      );
  });
});
