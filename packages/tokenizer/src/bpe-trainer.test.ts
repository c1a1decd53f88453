import { describe, expect, it } from 'vitest';
import { BpeTrainer, TokenizerError } from './index.js';
import { pretokenize } from './pretokenize.js';

/** The textbook algorithm: recount every pair after every merge. */
function naiveMerges(text: string, vocabSize: number, minFrequency: number): number[][] {
  const words = pretokenize(text).map((w) => [...new TextEncoder().encode(w)]);
  const merges: number[][] = [];
  const bytes: string[] = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
  const ids = new Map(bytes.map((b, i) => [b, i] as const));
  while (bytes.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        const k = `${w[i]},${w[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    let best: [number, number, number] | null = null;
    for (const [k, n] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (
        best === null ||
        n > best[2] ||
        (n === best[2] && (a < best[0] || (a === best[0] && b < best[1])))
      ) {
        best = [a, b, n];
      }
    }
    if (best === null || best[2] < minFrequency) break;
    const [a, b] = best;
    const text2 = bytes[a]! + bytes[b]!;
    let id = ids.get(text2);
    if (id === undefined) {
      id = bytes.push(text2) - 1;
      ids.set(text2, id);
    }
    merges.push([a, b, id]);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] === a && w[i + 1] === b) w.splice(i, 2, id);
      }
    }
  }
  return merges;
}

describe('BpeTrainer', () => {
  it('learns the textbook merges of "aaabdaaabac"', () => {
    const tok = new BpeTrainer({ vocabSize: 300 }).train('aaabdaaabac');
    expect(tok.merges).toEqual([
      [97, 97, 256],
      [97, 98, 257],
      [256, 257, 258],
    ]);
    expect(tok.vocabSize).toBe(259);
    expect(tok.encode('aaabdaaabac')).toEqual([258, 100, 258, 97, 99]);
    expect(tok.idToToken(258)).toBe('aaab');
  });

  it('gives the same merges as recounting after every merge', () => {
    const words = [
      'low',
      'lower',
      'lowest',
      'newer',
      'wider',
      'new',
      'newest',
      'slow',
      'slowly',
      'ñandú',
      '東京',
    ];
    let seed = 3;
    const parts: string[] = [];
    for (let i = 0; i < 600; i++) {
      seed = (seed * 48271) % 2147483647;
      parts.push(words[seed % words.length]!);
    }
    const text = parts.join(' ');
    const tok = new BpeTrainer({ vocabSize: 330, minFrequency: 2 }).train(text);
    expect(tok.merges).toEqual(naiveMerges(text, 330, 2));
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode(text).length).toBeLessThan(text.length / 3);
  });

  it('encodes long pieces (heap path) exactly as applying the merges in order', () => {
    const text = 'lowest newer slowly wider '.repeat(40);
    const tok = new BpeTrainer({ vocabSize: 300 }).train(text);
    const word = 'slowlylowestnewerwider'.repeat(6);
    let symbols = [...new TextEncoder().encode(word)];
    for (const [a, b, r] of tok.merges) {
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b) {
          next.push(r);
          i++;
        } else next.push(symbols[i]!);
      }
      symbols = next;
    }
    expect(word.length).toBeGreaterThan(64);
    expect(tok.encode(word)).toEqual(symbols);
  });

  it('stops at vocabSize and puts special tokens last', () => {
    const tok = new BpeTrainer({ vocabSize: 260, specialTokens: ['<|a|>', '<|b|>'] }).train(
      'the cat sat on the mat with the hat',
    );
    expect(tok.vocabSize).toBe(260);
    expect(tok.merges.length).toBe(2);
    expect(tok.tokenToId('<|a|>')).toBe(258);
    expect(tok.encode('the<|b|>', { allowedSpecial: 'all' }).at(-1)).toBe(259);
  });

  it('validates its options and input', () => {
    expect(() => new BpeTrainer({ vocabSize: 100 })).toThrow(TokenizerError);
    expect(() => new BpeTrainer({ vocabSize: 300 }).train([3 as unknown as string])).toThrow(
      TokenizerError,
    );
  });
});
