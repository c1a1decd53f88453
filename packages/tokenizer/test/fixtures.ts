import { getEncoding, type Tiktoken } from 'js-tiktoken';
import cl100kRanks from 'js-tiktoken/ranks/cl100k_base';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { BytePairTokenizer } from '../src/index.js';

export interface Pair {
  readonly name: 'gpt2' | 'cl100k_base';
  readonly ours: BytePairTokenizer;
  readonly ref: Tiktoken;
}

const cache = new Map<string, Pair>();

/** Our tokenizer and js-tiktoken's, for one encoding, loaded once per test file. */
export function load(name: 'gpt2' | 'cl100k_base'): Pair {
  let pair = cache.get(name);
  if (pair === undefined) {
    const ranks = name === 'gpt2' ? gpt2Ranks : cl100kRanks;
    pair = { name, ours: BytePairTokenizer.fromJsTiktokenRanks(ranks), ref: getEncoding(name) };
    cache.set(name, pair);
  }
  return pair;
}

/** Adversarial strings for the split patterns and the merge loop. */
export const FIXED_CORPUS: readonly string[] = [
  '',
  'hello world',
  'Hello, World! How are you?',
  "I've got it, you're right, he'll say she'd've... it's THEY'RE 'S 'LL 'Ll 'lL",
  "don't DON'T Don'T 's 't 're 've 'm 'll 'd 'x",
  '   leading spaces',
  'trailing spaces   ',
  'tabs\tand\t\ttabs',
  'a  b   c    d     e',
  '\n\n\n',
  ' \n \n \n',
  'line1\r\nline2\rline3\n',
  '   \n   word',
  'word\n\n   \n  next',
  '\u00a0nbsp\u00a0\u2003em space\u3000ideographic',
  '1 12 123 1234 12345 123456 1234567',
  '3.14159 2,718 1e10 0x1F -42 +7',
  '١٢٣ ٤٥٦ ۷۸۹ ๑๒๓ 一二三 Ⅻ ½ ²',
  '日本語のテキストです。漢字とひらがな。',
  '中文文本，包含标点符号！',
  '한국어 텍스트입니다',
  'Ελληνικά κείμενα και русский текст',
  'עברית ועברית ערבית: العربية',
  'हिन्दी पाठ और தமிழ்',
  '😀😃😄 👍🏽 👩‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ ❤️',
  '👨🏻‍💻👨🏻‍💻👨🏻‍💻 family: 👨‍👩‍👧',
  'e\u0301 a\u0308 n\u0303 combining: Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍A̴̵̜̰͔ͫ͗͢L̠ͨͧͩ͘G̴̻͈͍͔̹̑͗̎̅͛́Ǫ̵̹̻̝̳͂̌̌͘',
  'lone \ud800 high and \udc00 low and \udbff\udbff reversed \udc00\ud800',
  '\ud83d',
  'x\udfffy',
  'supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis',
  'a'.repeat(300),
  ' '.repeat(300) + 'x',
  '!'.repeat(200) + '?'.repeat(100),
  '1'.repeat(301),
  'ab'.repeat(150),
  'ﬁ ligature, ß, İstanbul, ΣΑΣ, ǅ titlecase',
  'function f(x) { return x * 2; } // comment\n\tconst y = [1, 2, 3];',
  '<html><body class="main">Text &amp; more</body></html>',
  'https://example.com/path?query=1&other=two#frag',
  '\u200b\u200c\u200d zero widths \ufeff BOM',
  '\ufeffstarts with BOM',
  '\u0000\u0001\u001f control \u007f chars',
  '<|endoftext|> looks special but is text',
];

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `String.prototype.isWellFormed` (ES2024, not in this project's `lib`). */
export function isWellFormed(s: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(s);
}

/** `String.prototype.toWellFormed`: lone surrogates → U+FFFD. */
export function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}
