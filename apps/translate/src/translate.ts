import { createProgress } from '@tformer/app-kit';
import { beamSearchEncoderDecoder, type EncoderDecoder } from '@tformer/model';
import { corpusBleu } from '@tformer/train';
import type { TranslateConfig } from './config.js';
import type { Pair } from './data.js';
import { BOS, EOS, type Vocabs } from './vocab.js';

/** Translates one sentence by beam search; the text without specials. */
export async function translateSentence(
  model: EncoderDecoder,
  vocabs: Vocabs,
  sentence: string,
  { beams, maxNewTokens, lengthPenalty }: TranslateConfig['decode'],
): Promise<string> {
  // Sources longer than the model's positions are cut (the last position keeps EOS).
  const ids = vocabs.src.encode(sentence).slice(0, model.config.maxLength - 1);
  const [best] = await beamSearchEncoderDecoder(model, [...ids, EOS], {
    startToken: BOS,
    numBeams: beams,
    maxNewTokens: Math.min(maxNewTokens, model.config.maxLength - 1),
    lengthPenalty,
    stopTokens: [EOS],
  });
  return vocabs.tgt.decode(best?.tokens ?? []).trim();
}

export interface TestResult {
  /** Corpus BLEU (sacreBLEU 13a), 0–100. */
  bleu: number;
  /** Share of sentences translated exactly as the reference. */
  exactMatch: number;
  hypotheses: string[];
}

/** Beam-search translations of the held-out pairs, scored with corpus BLEU, with a progress bar. */
export async function evaluateTest(
  model: EncoderDecoder,
  vocabs: Vocabs,
  test: readonly Pair[],
  decode: TranslateConfig['decode'],
): Promise<TestResult> {
  const progress = createProgress({ label: 'translate test', total: test.length });
  const hypotheses: string[] = [];
  const started = performance.now();
  let tokens = 0;
  try {
    for (const pair of test) {
      const hypothesis = await translateSentence(model, vocabs, pair.src, decode);
      hypotheses.push(hypothesis);
      tokens += vocabs.tgt.encode(hypothesis).length + 1;
      progress.update(hypotheses.length, {
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
