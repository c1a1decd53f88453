import { BaseTokenizer, type SpecialTokenConfig } from './base-tokenizer.js';
import { assertIds, assertString, describeValue, TokenizerError } from './errors.js';
import { readHfRoot } from './hf-common.js';

/**
 * What happens to a character that is not in the vocabulary: `'error'` raises `unknown-token`
 * naming the character and its offset, `'skip'` drops it, `{ token }` maps it to that special
 * token (which must be one of the tokenizer's special tokens).
 */
export type UnknownCharPolicy = 'error' | 'skip' | { readonly token: string };

/** Options for {@link CharTokenizer.fromCorpus}. */
export interface CharTokenizerOptions {
  /** Special tokens, given the first ids in this order. */
  readonly specialTokens?: readonly string[];
  /** Policy for characters outside the vocabulary. Default `'error'`. */
  readonly unknown?: UnknownCharPolicy;
  /** Keep only characters seen at least this often. Default 1. */
  readonly minFrequency?: number;
  /** Special tokens around `addSpecialTokens` encodings and the pad token. */
  readonly prefix?: readonly string[];
  readonly suffix?: readonly string[];
  readonly pad?: string;
}

/**
 * One id per Unicode code point (a lone surrogate counts as one character). Special tokens get
 * the first ids, then characters sorted by code point, so the same corpus always gives the same
 * ids.
 *
 * @param chars - the vocabulary characters, in id order after the special tokens.
 * @param specialTokens - special token strings, ids `0 … n-1`.
 * @param unknown - see {@link UnknownCharPolicy}.
 *
 * @example
 * ```ts
 * const tok = CharTokenizer.fromCorpus('hello world', { specialTokens: ['<unk>'], unknown: { token: '<unk>' } });
 * tok.decode(tok.encode('hello')); // 'hello'
 * tok.encode('hi!'); // [3, 0, 0]: 'h', then '<unk>' for 'i' and '!'
 * ```
 */
export class CharTokenizer extends BaseTokenizer {
  readonly unknown: UnknownCharPolicy;
  private readonly chars: string[];
  private readonly charIds = new Map<string, number>();
  private readonly unknownId: number | undefined;
  private readonly base: number;

  constructor(chars: readonly string[], options: Omit<CharTokenizerOptions, 'minFrequency'> = {}) {
    const specials = options.specialTokens ?? [];
    if (!Array.isArray(specials)) {
      throw new TokenizerError('invalid-format', 'specialTokens must be an array of strings', {
        field: 'specialTokens',
      });
    }
    specials.forEach((t: unknown, i) => {
      if (typeof t !== 'string' || t === '' || specials.indexOf(t) !== i) {
        throw new TokenizerError(
          'invalid-format',
          `specialTokens[${i}] must be a new non-empty string, got ${describeValue(t)}`,
          { field: 'specialTokens', index: i },
        );
      }
    });
    if (!Array.isArray(chars)) {
      throw new TokenizerError('invalid-format', 'chars must be an array of characters', {
        field: 'chars',
      });
    }
    const special: SpecialTokenConfig = {
      tokens: new Map(specials.map((t, i) => [t, i] as const)),
      prefix: options.prefix,
      suffix: options.suffix,
      pad: options.pad,
    };
    super(special);
    this.base = specials.length;
    this.chars = [...chars];
    this.chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1 || this.charIds.has(c)) {
        throw new TokenizerError('invalid-format', `chars[${i}] must be one new character`, {
          index: i,
        });
      }
      this.charIds.set(c, this.base + i);
    });
    this.unknown = options.unknown ?? 'error';
    const unknown = this.unknown as unknown;
    if (
      unknown !== 'error' &&
      unknown !== 'skip' &&
      !(
        typeof unknown === 'object' &&
        unknown !== null &&
        typeof this.unknown === 'object' &&
        typeof this.unknown.token === 'string'
      )
    ) {
      throw new TokenizerError(
        'invalid-format',
        `unknown must be 'error', 'skip' or { token }, got ${describeValue(unknown)}`,
        { field: 'unknown' },
      );
    }
    if (typeof this.unknown === 'object') {
      this.unknownId = this.specialTokens.get(this.unknown.token);
      if (this.unknownId === undefined) {
        throw new TokenizerError(
          'unknown-token',
          `unknown.token "${this.unknown.token}" is not one of the special tokens`,
          { field: 'unknown.token' },
        );
      }
    }
  }

  /** Builds the vocabulary from the characters of `corpus`. */
  static fromCorpus(corpus: string | Iterable<string>, options: CharTokenizerOptions = {}) {
    const counts = new Map<string, number>();
    const texts = typeof corpus === 'string' ? [corpus] : corpus;
    for (const text of texts) {
      assertString(text, 'corpus');
      for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const min = options.minFrequency ?? 1;
    const chars = [...counts]
      .filter(([, n]) => n >= min)
      .map(([c]) => c)
      .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, options);
  }

  /** Reads what {@link CharTokenizer.toJSON} wrote (text or object). */
  static fromJSON(json: string | object): CharTokenizer {
    const root = readHfRoot(json);
    if (root.type !== 'char' || !Array.isArray(root.chars)) {
      throw new TokenizerError(
        'invalid-format',
        'char tokenizer JSON needs type "char" and chars[]',
        {
          field: 'type',
        },
      );
    }
    return new CharTokenizer(root.chars as string[], {
      specialTokens: root.specialTokens as string[] | undefined,
      unknown: root.unknown as UnknownCharPolicy | undefined,
      prefix: root.prefix as string[] | undefined,
      suffix: root.suffix as string[] | undefined,
      pad: root.pad as string | undefined,
    });
  }

  get vocabSize(): number {
    return this.base + this.chars.length;
  }

  idToToken(id: number): string | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    return this.specialById.get(id) ?? (id >= this.base ? this.chars[id - this.base] : undefined);
  }

  tokenToId(token: string): number | undefined {
    return this.specialTokens.get(token) ?? this.charIds.get(token);
  }

  protected encodeOrdinary(text: string, out: number[], offsets: number[] | null, base: number) {
    let i = 0;
    for (const c of text) {
      const id = this.charIds.get(c) ?? this.unknownId;
      if (id !== undefined) {
        out.push(id);
        offsets?.push(base + i, base + i + c.length);
      } else if (this.unknown === 'error') {
        throw new TokenizerError(
          'unknown-token',
          `character ${JSON.stringify(c)} at offset ${base + i} is not in the vocabulary`,
          { char: c, offset: base + i },
        );
      }
      i += c.length;
    }
  }

  decode(ids: ArrayLike<number>): string {
    assertIds(ids);
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const t = this.idToToken(ids[i]!);
      if (t === undefined) {
        throw new TokenizerError(
          'id-out-of-range',
          `decode: id ${String(ids[i])} at index ${i} is not in the vocabulary (size ${this.vocabSize})`,
          { index: i, id: String(ids[i]) },
        );
      }
      out += t;
    }
    return out;
  }

  toJSON(): object {
    const { prefix, suffix, pad } = this.specialConfig;
    return {
      type: 'char',
      specialTokens: [...this.specialTokens.keys()],
      chars: this.chars,
      unknown: this.unknown,
      prefix,
      suffix,
      pad,
    };
  }
}
