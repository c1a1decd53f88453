import type { DecoderLM } from '@tformer/model';
import { type GenerateOptions, generateStream } from '@tformer/model/generate';

/**
 * Greedy decoding of `count` tokens, unmeasured, before any is timed (in generations of at most
 * 256 new tokens after a 48-id prompt, so a `maxLength` ≥ 304 model never crops). A fresh process
 * runs the JS that dispatches a step's kernels in V8's interpreter and baseline tiers for its first
 * few hundred steps: on node (2026-12-06, load ~1) ctx-64 steps took a median 2.19 ms over the
 * first 14 of a process, 1.29 after 100 and 0.98–1.07 from ~700 on. Timing those first steps
 * measured V8's warm-up, not decoding (and made ctx 1024 ÷ ctx 64 look flatter than it is).
 */
export async function warmUp(
  model: DecoderLM,
  count: number,
  options: Partial<GenerateOptions> = {},
): Promise<void> {
  const prompt = Array.from({ length: 48 }, (_, i) => (i * 13) % 65);
  for (let done = 0; done < count; done += 256) {
    const maxNewTokens = Math.min(256, count - done);
    for await (const _ of generateStream(model, [prompt], {
      ...options,
      maxNewTokens,
      doSample: false,
    }));
  }
}
