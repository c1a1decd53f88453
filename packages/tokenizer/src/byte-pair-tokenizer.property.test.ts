import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormed, load, toWellFormed } from '../test/fixtures.js';

const cp = (min: number, max: number) =>
  fc.integer({ min, max }).map((c) => String.fromCodePoint(c));

const EMOJI = [
  '😀',
  '👍🏽',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇫🇷',
  '1️⃣',
  '❤️',
  '🧑🏿‍🚀',
  '👨🏻‍💻',
  '🫠',
  '©️',
  '\u200d',
  '\ufe0f',
];

/** Fragments aimed at the split patterns' edges, joined into strings of up to ~24 fragments. */
const fragment = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "'s",
      "'S",
      "'t",
      "'re",
      "'RE",
      "'rE",
      "'ve",
      "'m",
      "'ll",
      "'LL",
      "'d",
      "'D",
      "'x",
      "'",
    ),
  },
  { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z]{1,12}$/) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ' ',
      '  ',
      '   ',
      '\t',
      '\n',
      '\r\n',
      '\r',
      ' \n',
      '\n ',
      '\u00a0',
      '\u3000',
      '\n\n',
      '\u2028',
      '\v',
      '\f',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[0-9]{1,8}$/) },
  {
    weight: 2,
    arbitrary: fc.array(cp(0x4e00, 0x9fff), { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
  },
  { weight: 1, arbitrary: cp(0x3040, 0x30ff) },
  { weight: 2, arbitrary: fc.constantFrom(...EMOJI) },
  { weight: 1, arbitrary: cp(0x300, 0x36f) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[!-/:-@[-`{-~]{1,4}$/) },
  { weight: 2, arbitrary: cp(0, 0x10ffff) },
  { weight: 1, arbitrary: cp(0x80, 0x24f) },
);

const text = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));
const RUNS = 10_000;

describe.each(['gpt2', 'cl100k_base'] as const)('property: %s equals js-tiktoken', (name) => {
  const { ours, ref } = load(name);

  it(`agrees id for id on ${RUNS} random strings and round-trips the well-formed ones`, () => {
    fc.assert(
      fc.property(text, (s) => {
        const ids = ours.encode(s, { disallowedSpecial: [] });
        expect(ids).toEqual(ref.encode(s, [], []));
        if (isWellFormed(s)) expect(ours.decode(ids)).toBe(s);
        else expect(ours.decode(ids)).toBe(toWellFormed(s));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees on 2,000 arbitrary full-range strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(ours.encode(s, { disallowedSpecial: [] })).toEqual(ref.encode(s, [], []));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe.each(['gpt2', 'cl100k_base'] as const)('property: %s decode', (name) => {
  const { ours } = load(name);
  const partial: number[] = [];
  for (let id = 0; id < 50_000; id++) if (ours.decode([id]).includes('\ufffd')) partial.push(id);
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  it('equals UTF-8 decoding of the concatenated bytes, partial-character tokens included', () => {
    expect(partial.length).toBeGreaterThan(50);
    const id = fc.oneof(fc.integer({ min: 0, max: 50_255 }), fc.constantFrom(...partial));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 30 }), (ids) => {
        expect(ours.decode(ids)).toBe(utf8.decode(ours.decodeBytes(ids)));
      }),
      { numRuns: 3_000 },
    );
  });
});
