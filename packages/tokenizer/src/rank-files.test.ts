import { thrownError } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { FIXED_CORPUS, load } from '../test/fixtures.js';
import { BytePairTokenizer, GPT2_PATTERN, TokenizerError } from './index.js';

const { ours: gpt2, ref } = load('gpt2');
const corpus = FIXED_CORPUS.map((s) => s.replace('<|endoftext|>', ''));

const errorOf = (f: () => unknown) => thrownError(f, TokenizerError);

function tiktokenFile(): string {
  const lines: string[] = [];
  for (let id = 0; id < 50256; id++) lines.push(`${btoa(gpt2.tokenBytes(id)!)} ${id}`);
  return `${lines.join('\n')}\n`;
}

function gpt2Files(): { vocab: string; merges: string } {
  const json = gpt2.toJSON() as { model: { vocab: Record<string, number>; merges: string[] } };
  const vocab = { ...json.model.vocab, '<|endoftext|>': 50256 };
  return {
    vocab: JSON.stringify(vocab),
    merges: `#version: 0.2\n${json.model.merges.join('\n')}\n`,
  };
}

describe('.tiktoken rank files', () => {
  it('loads base64 rank lines and matches js-tiktoken', () => {
    const tok = BytePairTokenizer.fromTiktoken(tiktokenFile(), {
      pattern: GPT2_PATTERN,
      special: { tokens: { '<|endoftext|>': 50256 } },
    });
    expect(tok.vocabSize).toBe(50257);
    for (const s of corpus) expect(tok.encode(s)).toEqual(ref.encode(s));
  });

  it('names the line of a duplicate rank, duplicate bytes and bad base64', () => {
    const opts = { pattern: GPT2_PATTERN };
    const dupRank = errorOf(() => BytePairTokenizer.fromTiktoken('YQ== 0\nYg== 1\nYw== 1\n', opts));
    expect(dupRank.reason).toBe('duplicate-rank');
    expect(dupRank.where).toMatchObject({ line: 3, rank: 1 });
    const dupBytes = errorOf(() => BytePairTokenizer.fromTiktoken('YQ== 0\nYQ== 1', opts));
    expect(dupBytes.reason).toBe('duplicate-rank');
    expect(dupBytes.where).toMatchObject({ line: 2 });
    const bad = errorOf(() => BytePairTokenizer.fromTiktoken('YQ== 0\n%%% 1', opts));
    expect(bad.reason).toBe('invalid-format');
    expect(bad.where).toMatchObject({ line: 2 });
    expect(errorOf(() => BytePairTokenizer.fromTiktoken('YQ== x', opts)).reason).toBe(
      'invalid-format',
    );
  });
});

describe('GPT-2 vocab.json + merges.txt', () => {
  it('loads the pair and matches js-tiktoken', () => {
    const files = gpt2Files();
    const tok = BytePairTokenizer.fromGpt2Files(files.vocab, files.merges);
    expect(tok.ignoreMerges).toBe(false);
    for (const s of corpus) expect(tok.encode(s, { disallowedSpecial: [] })).toEqual(ref.encode(s));
  });

  it('names the merges.txt line of a merge with an unknown token', () => {
    const vocab = JSON.stringify({ a: 0, b: 1, ab: 2 });
    const e = errorOf(() => BytePairTokenizer.fromGpt2Files(vocab, '#version: 0.2\na b\nab zz\n'));
    expect(e.reason).toBe('unknown-token');
    expect(e.where).toMatchObject({ line: 3, token: 'zz' });
    expect(e.message).toContain('line 3');
    const missingResult = errorOf(() => BytePairTokenizer.fromGpt2Files(vocab, 'b a'));
    expect(missingResult.where).toMatchObject({ token: 'ba', line: 1 });
  });

  it('rejects malformed vocab.json and duplicate ids', () => {
    expect(errorOf(() => BytePairTokenizer.fromGpt2Files('{"a": 0,', '')).reason).toBe(
      'invalid-json',
    );
    const dup = errorOf(() => BytePairTokenizer.fromGpt2Files('{"a": 0, "b": 0}', ''));
    expect(dup.reason).toBe('duplicate-rank');
    expect(dup.where).toMatchObject({ token: 'b', rank: 0 });
    expect(errorOf(() => BytePairTokenizer.fromGpt2Files('{"a": -1}', '')).reason).toBe(
      'invalid-format',
    );
  });

  it('raises on a byte with no token instead of dropping it', () => {
    const tok = BytePairTokenizer.fromGpt2Files(JSON.stringify({ a: 0, b: 1 }), '');
    expect(tok.encode('ab')).toEqual([0, 1]);
    const e = errorOf(() => tok.encode('abc'));
    expect(e.reason).toBe('unknown-token');
    expect(e.where).toEqual({ byte: 0x63 });
  });
});
