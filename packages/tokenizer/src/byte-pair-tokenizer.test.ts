import { Tiktoken } from 'js-tiktoken/lite';
import { describe, expect, it } from 'vitest';
import { FIXED_CORPUS, isWellFormed, load } from '../test/fixtures.js';
import {
  BytePairTokenizer,
  CL100K_PATTERN,
  GPT2_PATTERN,
  O200K_PATTERN,
  TokenizerError,
} from './index.js';
import { fromOnigurumaPattern, pretokenize } from './pretokenize.js';

const ENCODINGS = ['gpt2', 'cl100k_base'] as const;
const allowText = { disallowedSpecial: [] } as const;

describe.each(ENCODINGS)('BytePairTokenizer %s against js-tiktoken', (name) => {
  const { ours, ref } = load(name);

  it('matches id for id on the fixed corpus', () => {
    for (const s of FIXED_CORPUS) {
      expect(ours.encode(s, allowText), JSON.stringify(s)).toEqual(ref.encode(s, [], []));
    }
  });

  it('round-trips every well-formed string of the corpus', () => {
    for (const s of FIXED_CORPUS.filter(isWellFormed)) {
      expect(ours.decode(ours.encode(s, allowText))).toBe(s);
    }
  });

  it('encodes lone surrogates as U+FFFD, like TextEncoder', () => {
    expect(ours.decode(ours.encode('a\ud800b'))).toBe('a\ufffdb');
    expect(ours.encode('a\ud800b')).toEqual(ours.encode('a\ufffdb'));
  });

  it('matches js-tiktoken on long single words (heap merge path)', () => {
    let seed = 7;
    const letter = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return 'etaoinshrdlucmfwypvbgkjqxz'[seed % 26]!;
    };
    for (const length of [49, 64, 65, 200, 700]) {
      const word = Array.from({ length }, letter).join('');
      expect(ours.encode(word)).toEqual(ref.encode(word));
      expect(ours.encode(` ${word}`)).toEqual(ref.encode(` ${word}`));
    }
    const emojiRun = '🦄🐉'.repeat(40);
    expect(ours.encode(emojiRun)).toEqual(ref.encode(emojiRun));
  });

  it('never produces a special token from ordinary text unless allowed', () => {
    const text = 'a<|endoftext|>b';
    expect(() => ours.encode(text)).toThrow(TokenizerError);
    const plain = ours.encode(text, allowText);
    expect(plain).toEqual(ref.encode(text, [], []));
    expect(plain).not.toContain(ours.tokenToId('<|endoftext|>'));
    const special = ours.encode(text, { allowedSpecial: 'all' });
    expect(special).toEqual(ref.encode(text, 'all'));
    expect(special).toContain(ours.tokenToId('<|endoftext|>'));
    expect(ours.decode(special)).toBe(text);
  });
});

describe('BytePairTokenizer details', () => {
  const { ours, ref } = load('cl100k_base');

  it('reports the disallowed special token and where it is', () => {
    try {
      ours.encode('abc <|endoftext|>');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TokenizerError);
      expect((e as TokenizerError).reason).toBe('disallowed-special');
      expect((e as TokenizerError).where).toEqual({ token: '<|endoftext|>', offset: 4 });
    }
  });

  it('gives vocabSize, token forms and ids', () => {
    expect(ours.vocabSize).toBe(100277);
    expect(load('gpt2').ours.vocabSize).toBe(50257);
    expect(ours.idToToken(15339)).toBe('hello');
    expect(ours.idToToken(1917)).toBe('Ġworld');
    expect(ours.tokenToId('Ġworld')).toBe(1917);
    expect(ours.tokenToId('<|endoftext|>')).toBe(100257);
    expect(ours.idToToken(100257)).toBe('<|endoftext|>');
  });

  it('decodes partial UTF-8 to U+FFFD and offers the raw bytes', () => {
    const ids = ours.encode('😀');
    expect(ids.length).toBeGreaterThan(1);
    expect(ours.decode(ids.slice(0, 1))).toBe(ref.decode(ids.slice(0, 1)));
    expect(ours.decode(ids.slice(0, 1))).toContain('\ufffd');
    expect(Array.from(ours.decodeBytes(ids))).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(ours.decode([...ids.slice(0, 1), ...ids.slice(1)])).toBe('😀');
  });

  it('raises id-out-of-range naming the id and its index', () => {
    for (const bad of [100300, -1, 1.5, 200000]) {
      try {
        ours.decode([15339, bad]);
        expect.unreachable();
      } catch (e) {
        expect((e as TokenizerError).reason).toBe('id-out-of-range');
        expect((e as TokenizerError).where).toEqual({ index: 1, id: String(bad) });
      }
    }
  });

  it('rejects non-string input and non-array ids', () => {
    for (const bad of [undefined, null, 42, ['a'], { text: 'a' }]) {
      expect(() => ours.encode(bad as unknown as string)).toThrow(TokenizerError);
    }
    for (const bad of [undefined, null, 'abc', 7]) {
      expect(() => ours.decode(bad as unknown as number[])).toThrow(/ids must be an array/);
    }
    expect(ours.decode(new Uint32Array([15339, 1917]))).toBe('hello world');
  });

  it('gives char offsets that cover each token, sharing a char split across tokens', () => {
    const text = 'héllo 😀 world';
    const { ids, offsets } = ours.encodeWithOffsets(text);
    expect(ids).toEqual(ours.encode(text));
    expect(offsets.length).toBe(ids.length);
    const emojiTokens = ids.filter((_, i) => offsets[i]![0] === 6 || offsets[i]![1] === 8);
    expect(emojiTokens.length).toBeGreaterThan(0);
    for (const [s, e] of offsets) expect(e).toBeGreaterThan(s);
    expect(offsets[0]![0]).toBe(0);
    expect(offsets[offsets.length - 1]![1]).toBe(text.length);
    const words = ours.encodeWithOffsets('hello world');
    expect(words.offsets).toEqual([
      [0, 5],
      [5, 11],
    ]);
  });

  it('offsets skip allowed special tokens correctly', () => {
    const text = 'ab<|endoftext|>cd';
    const { ids, offsets } = ours.encodeWithOffsets(text, { allowedSpecial: 'all' });
    const at = ids.indexOf(100257);
    expect(offsets[at]).toEqual([2, 15]);
    expect(offsets[offsets.length - 1]![1]).toBe(17);
  });

  it('splits with the cl100k pattern like js-tiktoken does', () => {
    expect(pretokenize("I've 123 dogs\n\n  and", CL100K_PATTERN)).toEqual([
      'I',
      "'ve",
      ' ',
      '123',
      ' dogs',
      '\n\n',
      ' ',
      ' and',
    ]);
  });

  it('encodes a 2 MB text with long runs in one pass and decodes it back', () => {
    const unit = `${'x'.repeat(5000)} ${' '.repeat(3000)}\n${'7'.repeat(4000)}${'!'.repeat(3000)}é`;
    const text = unit.repeat(Math.ceil((2 << 20) / unit.length));
    const ids = ours.encode(text);
    expect(ours.decode(ids)).toBe(text);
    expect(ids.length).toBeLessThan(text.length);
  });

  it('rejects a special token that collides with an ordinary id', () => {
    expect(
      () =>
        new BytePairTokenizer({
          tokens: ['a', 'b'],
          special: { tokens: { '<s>': 1 } },
        }),
    ).toThrow(/reuses id 1/);
  });
});

describe('fromOnigurumaPattern', () => {
  it('turns tiktoken/HF patterns into the JS translations js-tiktoken uses', () => {
    const onig =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+|\\++";
    expect(fromOnigurumaPattern(onig)).toBe(
      `${CL100K_PATTERN.split('|[^')[0]}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+|\\++`,
    );
  });
});

describe('exported split patterns', () => {
  it('are the js-tiktoken patterns, and o200k matches js-tiktoken on the fixed corpus', async () => {
    const ranks = {
      gpt2: (await import('js-tiktoken/ranks/gpt2')).default,
      cl100k: (await import('js-tiktoken/ranks/cl100k_base')).default,
      o200k: (await import('js-tiktoken/ranks/o200k_base')).default,
    };
    const asJs = (p: string) => p.replace(/\((?!\?)/g, '(?:');
    expect(asJs(ranks.gpt2.pat_str)).toBe(GPT2_PATTERN);
    expect(asJs(ranks.cl100k.pat_str)).toBe(CL100K_PATTERN);
    expect(asJs(ranks.o200k.pat_str)).toBe(O200K_PATTERN);
    const ours = BytePairTokenizer.fromJsTiktokenRanks(ranks.o200k);
    const ref = new Tiktoken(ranks.o200k);
    for (const s of FIXED_CORPUS) {
      expect(ours.encode(s, { disallowedSpecial: [] }), JSON.stringify(s)).toEqual(
        ref.encode(s, [], []),
      );
    }
  });
});
