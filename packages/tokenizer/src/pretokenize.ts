/**
 * Pre-tokenization split patterns, written exactly as js-tiktoken's JavaScript translations of
 * OpenAI's patterns (compiled with the `u` flag; groups made non-capturing, which does not change
 * what they match). JS has no possessive quantifiers, so `\p{L}+` backtracks here just as it does
 * in js-tiktoken; the outputs match js-tiktoken id for id.
 */

/** GPT-2 / r50k_base / p50k_base split pattern. */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const CONTRACTIONS = "(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)";

/** cl100k_base split pattern. */
export const CL100K_PATTERN =
  `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*` +
  '|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

const UPPER = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]';
const LOWER = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';

/** o200k_base split pattern. */
export const O200K_PATTERN =
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+${CONTRACTIONS}?` +
  `|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*${CONTRACTIONS}?` +
  '|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

/** Compiles a split pattern with the flags every splitter here uses (`gu`). */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'gu');
}

/**
 * Splits `text` into pre-tokenization pieces with `pattern` (default GPT-2). Characters the
 * pattern does not match are dropped, as in tiktoken.
 *
 * @example
 * ```ts
 * pretokenize("I've 123 dogs", CL100K_PATTERN); // ['I', "'ve", ' ', '123', ' dogs']
 * ```
 */
export function pretokenize(text: string, pattern: string = GPT2_PATTERN): string[] {
  const re = compilePattern(pattern);
  const out: string[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    else out.push(m[0]);
  }
  return out;
}

/**
 * Rewrites the Oniguruma constructs that Hugging Face / tiktoken patterns use into the JS
 * equivalents js-tiktoken uses: `(?i:'s|'t|'re|'ve|'m|'ll|'d)` becomes the explicit case list and
 * possessive quantifiers (`?+`, `++`, `*+`, `}+`) become greedy ones.
 */
export function fromOnigurumaPattern(pattern: string): string {
  return pattern
    .replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", CONTRACTIONS)
    .replace(/(\{\d+(?:,\d*)?\})\+/g, '$1')
    .replace(/(?<!\\)([?*+])\+/g, '$1');
}
