import type { EncoderDecoderConfig } from '@tformer/model';

export type ScheduleKind = 'noam' | 'cosine';

/** Everything a translate run was made with: written to `config.json`, read back by `resume`. */
export interface TranslateConfig {
  app: 'translate';
  version: 1;
  /** `--src`/`--tgt` files, or null for the generated default task. */
  data: { src: string; tgt: string } | null;
  corpus: string;
  /** Held-out pairs (the tail of the files; distinct numbers for the default task). */
  testSize: number;
  /** Pairs with more tokens than this on either side are left out of training and test. */
  maxTokens: number;
  vocab: { bpeSize: number; shared: boolean };
  /** Vocabulary sizes are the BPEs', known once learned. */
  model: EncoderDecoderConfig;
  train: {
    steps: number;
    batchSize: number;
    schedule: ScheduleKind;
    /** Peak learning rate; Noam's factor is chosen so that its peak is this. */
    learningRate: number;
    warmupSteps: number;
    labelSmoothing: number;
    weightDecay: number;
    clipNorm: number;
    evalEvery: number;
    seed: number;
  };
  decode: { beams: number; maxNewTokens: number; lengthPenalty: number };
}

/** Size of the generated default task's training split. */
export const DEFAULT_TRAIN_PAIRS = 3000;
