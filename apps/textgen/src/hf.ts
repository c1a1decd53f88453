import { BytePairTokenizer, CharTokenizer, hfAddedTokens } from '@tformer/tokenizer';
import type { TextTokenizer } from './tokenizers.js';

/**
 * textgen's tokenizers as Hugging Face `tokenizer.json` objects and back. A byte-level BPE is one
 * already (`toJSON`). A char tokenizer becomes a BPE model with one token per character, no
 * merges, no pre-tokenizer and the `Fuse` decoder: the Rust library then splits text into
 * characters and joins them back exactly as ours does, dropping characters outside the
 * vocabulary (our `unknown: 'skip'`, textgen's setting) unless there is an unknown token.
 */
export function tokenizerToHf(tokenizer: TextTokenizer): object {
  if (tokenizer instanceof BytePairTokenizer) return tokenizer.toJSON();
  const vocab: Record<string, number> = {};
  for (let id = 0; id < tokenizer.vocabSize; id++) vocab[tokenizer.idToToken(id)!] = id;
  const unknown = tokenizer.unknown;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: hfAddedTokens(tokenizer.specialTokens),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: typeof unknown === 'object' ? unknown.token : null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

/** The tokenizer of a Hugging Face `tokenizer.json`: our char form (see above) or a byte-level BPE. */
export function tokenizerFromHf(json: object): TextTokenizer {
  const root = json as {
    decoder?: { type?: string };
    model?: {
      type?: string;
      merges?: unknown[];
      vocab?: Record<string, number>;
      unk_token?: string | null;
    };
    added_tokens?: { content: string; id: number }[];
  };
  const model = root.model;
  if (model?.type === 'BPE' && model.merges?.length === 0 && root.decoder?.type === 'Fuse') {
    const specials = (root.added_tokens ?? []).slice().sort((a, b) => a.id - b.id);
    const special = new Set(specials.map((t) => t.content));
    const chars = Object.entries(model.vocab ?? {})
      .filter(([token]) => !special.has(token))
      .sort((a, b) => a[1] - b[1])
      .map(([token]) => token);
    return new CharTokenizer(chars, {
      specialTokens: specials.map((t) => t.content),
      unknown: model.unk_token ? { token: model.unk_token } : 'skip',
    });
  }
  return BytePairTokenizer.fromJSON(json);
}
