import { createProgress } from '@tformer/app-kit';
import type { EncoderDecoder } from '@tformer/model';
import { beamSearchEncoderDecoderBatch } from '@tformer/model/generate';
import { corpusBleu } from '@tformer/train';
import type { TranslateConfig } from './config.js';
import type { Pair } from './data.js';
import { BOS, EOS, type Vocabs } from './vocab.js';

/** Sentences beam-searched together when no `--batch-size` is given. */
export const DEFAULT_DECODE_BATCH = 32;

/**
 * Translates sentences by beam search, `batchSize` at a time (each sentence gets the translation
 * it gets alone: the batch pads and masks the sources); the texts without specials, in order.
 */
export async function translateBatch(
  model: EncoderDecoder,
  vocabs: Vocabs,
  sentences: readonly string[],
  { beams, maxNewTokens, lengthPenalty }: TranslateConfig['decode'],
): Promise<string[]> {
  if (sentences.length === 0) return [];
  // Sources longer than the model's positions are cut (the last position keeps EOS).
  const sources = sentences.map((s) => [
    ...vocabs.src.encode(s).slice(0, model.config.maxLength - 1),
    EOS,
  ]);
  const results = await beamSearchEncoderDecoderBatch(model, sources, {
    startToken: BOS,
    numBeams: beams,
    maxNewTokens: Math.min(maxNewTokens, model.config.maxLength - 1),
    lengthPenalty,
    stopTokens: [EOS],
  });
  return results.map(([best]) => vocabs.tgt.decode(best?.tokens ?? []).trim());
}

/**
 * The translations of `sentences` (in order, one per sentence), `batchSize` sentences per batch,
 * yielded batch by batch as they finish (so that a long input streams). A blank sentence
 * translates to an empty line without the model, so a file's translations stay line-parallel to
 * it (as sacreBLEU and paste need) and a blank line costs no batch row.
 */
export async function* translateInBatches(
  model: EncoderDecoder,
  vocabs: Vocabs,
  sentences: readonly string[],
  decode: TranslateConfig['decode'],
  batchSize: number,
): AsyncGenerator<string[]> {
  const blank = (s: string) => s.trim() === '';
  let i = 0;
  while (i < sentences.length) {
    // Up to batchSize sentences to translate, with the blank ones among and after them.
    const group: string[] = [];
    let count = 0;
    while (i < sentences.length && (count < batchSize || blank(sentences[i]!))) {
      if (!blank(sentences[i]!)) count++;
      group.push(sentences[i++]!);
    }
    const translated = await translateBatch(
      model,
      vocabs,
      group.filter((s) => !blank(s)),
      decode,
    );
    let next = 0;
    yield group.map((s) => (blank(s) ? '' : translated[next++]!));
  }
}

export interface TestResult {
  /** Corpus BLEU (sacreBLEU 13a), 0–100. */
  bleu: number;
  /** Share of sentences translated exactly as the reference. */
  exactMatch: number;
  hypotheses: string[];
}

/**
 * Beam-search translations of the held-out pairs, `batchSize` at a time, scored with corpus BLEU,
 * with a progress bar. The pairs are batched by source length (less padding, and rows of a batch
 * finish at similar steps); the hypotheses come back in the pairs' order.
 */
export async function evaluateTest(
  model: EncoderDecoder,
  vocabs: Vocabs,
  test: readonly Pair[],
  decode: TranslateConfig['decode'],
  batchSize = DEFAULT_DECODE_BATCH,
): Promise<TestResult> {
  const progress = createProgress({ label: 'translate test', total: test.length });
  const lengths = test.map((p) => vocabs.src.encode(p.src).length);
  const order = test.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const hypotheses: string[] = new Array(test.length);
  const started = performance.now();
  let done = 0;
  let tokens = 0;
  try {
    const sentences = order.map((i) => test[i]!.src);
    for await (const batch of translateInBatches(model, vocabs, sentences, decode, batchSize)) {
      for (const hypothesis of batch) {
        hypotheses[order[done++]!] = hypothesis;
        tokens += vocabs.tgt.encode(hypothesis).length + 1;
      }
      progress.update(done, {
        tokensPerSecond: tokens / ((performance.now() - started) / 1000),
      });
    }
  } finally {
    progress.stop();
  }
  // One reference stream: the held-out targets, in order.
  const { score } = corpusBleu(hypotheses, [test.map((p) => p.tgt)]);
  const exact = hypotheses.filter((h, i) => h === test[i]!.tgt).length;
  return { bleu: score, exactMatch: exact / test.length, hypotheses };
}
