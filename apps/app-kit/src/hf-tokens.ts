/**
 * One `added_tokens` entry of a Hugging Face `tokenizer.json` for a special token: matched whole,
 * never normalized or stripped (the flags the `tokenizers` library writes for special tokens).
 */
export function hfSpecialToken(id: number, content: string): object {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
}
