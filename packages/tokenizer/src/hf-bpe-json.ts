import type { SpecialTokenConfig } from './base-tokenizer.js';
import type { BytePairTokenizerOptions } from './byte-pair-tokenizer.js';
import { byteStringToUnicode } from './bytes.js';
import { TokenizerError } from './errors.js';
import {
  expectObject,
  hfAddedTokens,
  paddingJson,
  readHfRoot,
  specialConfigOf,
  templateJson,
} from './hf-common.js';
import { checkIdDensity } from './ids.js';
import {
  fromOnigurumaPattern,
  GPT2_PATTERN,
  SPLIT_BEHAVIORS,
  type SplitBehavior,
  type SplitOptions,
} from './pretokenize.js';
import { byteLevelVocab, resolveMerges } from './rank-files.js';

/** What {@link bpeToHfJson} writes. */
export interface BpeJsonInput {
  readonly tokens: ReadonlyArray<string | undefined>;
  readonly merges: ReadonlyArray<readonly [number, number, number]>;
  readonly ignoreMerges: boolean;
  readonly pattern: string;
  readonly split: SplitOptions | undefined;
  readonly special: SpecialTokenConfig;
  readonly specialTokens: ReadonlyMap<string, number>;
}

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true };

/** A byte-level BPE tokenizer as a Hugging Face `tokenizer.json` object. */
export function bpeToHfJson(input: BpeJsonInput): object {
  const vocab: Record<string, number> = {};
  const form = (id: number): string => byteStringToUnicode(input.tokens[id]!);
  input.tokens.forEach((bytes, id) => {
    if (bytes !== undefined) vocab[byteStringToUnicode(bytes)] = id;
  });
  // Without Hugging Face split settings the tokenizer keeps only the pattern's matches
  // (tiktoken), which is `Removed` with `invert`; ByteLevel's own regex is GPT-2's, Isolated.
  const split = input.split ?? { behavior: 'Removed', invert: true };
  const isolated = split.behavior === 'Isolated' && split.invert !== true;
  const preTokenizer =
    input.pattern === GPT2_PATTERN && (isolated || input.split === undefined)
      ? { ...BYTE_LEVEL, use_regex: true }
      : {
          type: 'Sequence',
          pretokenizers: [
            {
              type: 'Split',
              pattern: { Regex: input.pattern },
              behavior: split.behavior,
              invert: split.invert === true,
            },
            { ...BYTE_LEVEL, use_regex: false },
          ],
        };
  return {
    version: '1.0',
    truncation: null,
    padding: paddingJson(input.special, input.specialTokens),
    added_tokens: hfAddedTokens(input.specialTokens),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: templateJson(input.special, input.specialTokens),
    decoder: { ...BYTE_LEVEL, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: input.ignoreMerges,
      vocab,
      merges: input.merges.map(([a, b]) => `${form(a)} ${form(b)}`),
    },
  };
}

/** The pattern and `Split` settings of a `pre_tokenizer` section. */
function patternOf(pre: unknown): { pattern: string; split: SplitOptions } {
  const where = { field: 'pre_tokenizer' };
  const p = expectObject(pre, 'pre_tokenizer');
  const isolated: SplitOptions = { behavior: 'Isolated', invert: false };
  if (p.type === 'ByteLevel') {
    if (p.add_prefix_space === true) {
      throw new TokenizerError(
        'unsupported',
        'pre_tokenizer: add_prefix_space is not supported',
        where,
      );
    }
    // ByteLevel's regex splits as Split(GPT-2 pattern, Isolated) does.
    return { pattern: p.use_regex === false ? '[\\s\\S]+' : GPT2_PATTERN, split: isolated };
  }
  const list = p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? p.pretokenizers : [];
  const split = list.length === 2 ? expectObject(list[0], 'pre_tokenizer.pretokenizers[0]') : {};
  const last = list.length === 2 ? expectObject(list[1], 'pre_tokenizer.pretokenizers[1]') : {};
  const pat = expectObject(split.pattern ?? {}, 'pre_tokenizer.pretokenizers[0].pattern');
  const ok =
    split.type === 'Split' &&
    last.type === 'ByteLevel' &&
    last.use_regex === false &&
    last.add_prefix_space !== true;
  if (!ok || (typeof pat.Regex !== 'string' && typeof pat.String !== 'string')) {
    throw new TokenizerError(
      'unsupported',
      'pre_tokenizer: expected ByteLevel or Sequence[Split, ByteLevel(use_regex: false)]',
      where,
    );
  }
  if (!SPLIT_BEHAVIORS.includes(split.behavior as SplitBehavior)) {
    throw new TokenizerError(
      'unsupported',
      `pre_tokenizer.pretokenizers[0].behavior must be one of ${SPLIT_BEHAVIORS.join(', ')}`,
      { field: 'pre_tokenizer.pretokenizers[0].behavior' },
    );
  }
  if (split.invert !== undefined && typeof split.invert !== 'boolean') {
    throw new TokenizerError(
      'invalid-format',
      'pre_tokenizer.pretokenizers[0].invert must be a boolean',
      { field: 'pre_tokenizer.pretokenizers[0].invert' },
    );
  }
  const pattern =
    typeof pat.Regex === 'string'
      ? fromOnigurumaPattern(pat.Regex)
      : (pat.String as string).replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
  return {
    pattern,
    split: { behavior: split.behavior as SplitBehavior, invert: split.invert === true },
  };
}

/** Reads a Hugging Face `tokenizer.json` (text or object) whose model is byte-level BPE. */
export function bpeFromHfJson(json: string | object): BytePairTokenizerOptions {
  const root = readHfRoot(json);
  const model = expectObject(root.model, 'model');
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new TokenizerError(
      'unsupported',
      `model.type is "${String(model.type)}", expected "BPE"`,
      {
        field: 'model.type',
      },
    );
  }
  for (const field of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    if (model[field] !== undefined && model[field] !== null && model[field] !== '') {
      throw new TokenizerError(
        'unsupported',
        `model.${field} is not supported for byte-level BPE`,
        {
          field: `model.${field}`,
        },
      );
    }
  }
  if (model.byte_fallback === true || (model.dropout !== undefined && model.dropout !== null)) {
    throw new TokenizerError(
      'unsupported',
      'model.byte_fallback / model.dropout are not supported',
      {
        field: 'model',
      },
    );
  }
  if (root.normalizer !== undefined && root.normalizer !== null) {
    throw new TokenizerError('unsupported', 'normalizer must be null for byte-level BPE', {
      field: 'normalizer',
    });
  }
  const special = specialConfigOf(root);
  const specialTokens = special.tokens as ReadonlyMap<string, number>;
  const vocab = expectObject(model.vocab, 'model.vocab');
  const ordinary: Record<string, unknown> = {};
  for (const [t, id] of Object.entries(vocab)) if (specialTokens.get(t) !== id) ordinary[t] = id;
  const { tokens, ids } = byteLevelVocab(ordinary, 'model.vocab');
  let size = tokens.length;
  for (const id of specialTokens.values()) size = Math.max(size, id + 1);
  checkIdDensity(size, ids.size + specialTokens.size, 'model.vocab and added_tokens');
  const { pattern, split } = patternOf(root.pre_tokenizer ?? { type: 'ByteLevel' });
  return {
    tokens,
    merges: resolveMerges(model.merges ?? [], ids, 'model.merges'),
    ignoreMerges: model.ignore_merges === true,
    pattern,
    split,
    special,
  };
}
