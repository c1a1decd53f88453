import { describe, expect, it } from 'vitest';
import { CharTokenizer, TokenizerError } from './index.js';

describe('CharTokenizer', () => {
  it('builds a sorted code-point vocabulary after the special tokens', () => {
    const tok = CharTokenizer.fromCorpus(['hello', ' world😀'], {
      specialTokens: ['<pad>', '<unk>'],
    });
    expect(tok.vocabSize).toBe(2 + 9);
    expect(tok.idToToken(2)).toBe(' ');
    expect(tok.idToToken(10)).toBe('😀');
    expect(tok.encode('hello😀')).toEqual([5, 4, 6, 6, 7, 10]);
    expect(tok.decode(tok.encode('low 😀'))).toBe('low 😀');
  });

  it('applies the unknown-character policy', () => {
    const corpus = 'abc';
    const strict = CharTokenizer.fromCorpus(corpus);
    try {
      strict.encode('abxc');
      expect.unreachable();
    } catch (e) {
      expect((e as TokenizerError).reason).toBe('unknown-token');
      expect((e as TokenizerError).where).toEqual({ char: 'x', offset: 2 });
    }
    expect(CharTokenizer.fromCorpus(corpus, { unknown: 'skip' }).encode('axbyc')).toEqual([
      0, 1, 2,
    ]);
    const unk = CharTokenizer.fromCorpus(corpus, {
      specialTokens: ['<unk>'],
      unknown: { token: '<unk>' },
    });
    expect(unk.encode('axc')).toEqual([1, 0, 3]);
    expect(() => CharTokenizer.fromCorpus(corpus, { unknown: { token: '<unk>' } })).toThrow(
      TokenizerError,
    );
  });

  it('honours minFrequency and lone surrogates', () => {
    const tok = CharTokenizer.fromCorpus('aab\ud800\ud800', { minFrequency: 2, unknown: 'skip' });
    expect(tok.vocabSize).toBe(2);
    expect(tok.decode(tok.encode('ab\ud800'))).toBe('a\ud800');
  });

  it('matches special tokens only when allowed, with offsets', () => {
    const tok = CharTokenizer.fromCorpus('ab', { specialTokens: ['<s>'] });
    expect(() => tok.encode('a<s>')).toThrow(/special token "<s>" at offset 1/);
    expect(tok.encodeWithOffsets('a<s>b', { allowedSpecial: ['<s>'] })).toEqual({
      ids: [1, 0, 2],
      offsets: [
        [0, 1],
        [1, 4],
        [4, 5],
      ],
    });
  });

  it('round-trips through toJSON/fromJSON', () => {
    const tok = CharTokenizer.fromCorpus('hello', {
      specialTokens: ['<pad>', '<bos>'],
      prefix: ['<bos>'],
      pad: '<pad>',
      unknown: 'skip',
    });
    const back = CharTokenizer.fromJSON(JSON.stringify(tok.toJSON()));
    expect(back.encode('hexo', { addSpecialTokens: true })).toEqual(
      tok.encode('hexo', { addSpecialTokens: true }),
    );
    expect(back.encode('hel', { addSpecialTokens: true })).toEqual([1, 3, 2, 4]);
    expect(() => CharTokenizer.fromJSON('{"type": "char"')).toThrow(TokenizerError);
    expect(() => CharTokenizer.fromJSON({ type: 'bpe' })).toThrow(/type "char"/);
    expect(() => tok.decode([7])).toThrow(TokenizerError);
  });
});

describe('encodeBatch', () => {
  const tok = CharTokenizer.fromCorpus('abcdef', {
    specialTokens: ['<pad>', '<bos>', '<eos>'],
    prefix: ['<bos>'],
    suffix: ['<eos>'],
    pad: '<pad>',
  });

  it('pads to the longest row with masks and offsets', () => {
    const out = tok.encodeBatch(['ab', 'abcd', ''], { padding: true });
    expect(out.ids).toEqual([
      [3, 4, 0, 0],
      [3, 4, 5, 6],
      [0, 0, 0, 0],
    ]);
    expect(out.attentionMask).toEqual([
      [1, 1, 0, 0],
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ]);
    expect(out.offsets[0]).toEqual([
      [0, 1],
      [1, 2],
      [0, 0],
      [0, 0],
    ]);
  });

  it('truncates keeping the template and pads to maxLength', () => {
    const out = tok.encodeBatch(['abcdef', 'a'], {
      addSpecialTokens: true,
      truncation: true,
      padding: 'max_length',
      maxLength: 5,
    });
    expect(out.ids).toEqual([
      [1, 3, 4, 5, 2],
      [1, 3, 2, 0, 0],
    ]);
    expect(out.attentionMask[1]).toEqual([1, 1, 1, 0, 0]);
    expect(out.offsets[0]![0]).toEqual([0, 0]);
  });

  it('leaves rows ragged without padding and validates options', () => {
    expect(tok.encodeBatch(['ab', 'a']).ids).toEqual([[3, 4], [3]]);
    expect(() => tok.encodeBatch(['a'], { truncation: true })).toThrow(/maxLength/);
    expect(() => tok.encodeBatch('ab' as unknown as string[])).toThrow(TokenizerError);
    expect(() => tok.encodeBatch(['a', 3 as unknown as string])).toThrow(/texts\[1\]/);
    const noPad = CharTokenizer.fromCorpus('ab');
    expect(() => noPad.encodeBatch(['a', 'ab'], { padding: true })).toThrow(/pad/);
    expect(noPad.encodeBatch(['a', 'ab'], { padding: true, padId: 9 }).ids[0]).toEqual([0, 9]);
  });
});
