import type { DecoderLM } from '@tformer/model';
import { generateStream } from '@tformer/model/generate';
import type { TextTokenizer } from './tokenizers.js';

export interface SampleOptions {
  prompt: string;
  tokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
}

/**
 * Streams a continuation of `prompt` to `write` as it is generated (KV-cached sampling) and
 * returns the whole text. Text is decoded from all ids so far, so multi-byte characters that BPE
 * splits over several tokens appear once complete.
 */
export async function sample(
  model: DecoderLM,
  tokenizer: TextTokenizer,
  { prompt, tokens, temperature, topK, topP, seed }: SampleOptions,
  write: (text: string) => void,
): Promise<string> {
  const promptIds = tokenizer.encode(prompt);
  const ids: number[] = [];
  let shown = '';
  write(prompt);
  const steps = generateStream(model, [promptIds], {
    maxNewTokens: tokens,
    // Temperature 0 means greedy decoding; otherwise sample (generate's default is greedy).
    doSample: temperature > 0,
    ...(temperature > 0 ? { temperature } : {}),
    seed,
    ...(topK === undefined ? {} : { topK }),
    ...(topP === undefined ? {} : { topP }),
  });
  for await (const step of steps) {
    ids.push(step.tokens[0]!);
    const text = tokenizer.decode(ids);
    // A trailing U+FFFD is an incomplete multi-byte character: wait for its other bytes.
    const complete = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
    if (complete.startsWith(shown) && complete.length > shown.length) {
      write(complete.slice(shown.length));
      shown = complete;
    }
  }
  write('\n');
  return prompt + tokenizer.decode(ids);
}
