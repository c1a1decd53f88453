import type { TrainSettings } from '@tformer/app-kit';
import type { EncoderDecoderConfig } from '@tformer/model';

/** A source file and its line-parallel target file. */
export interface ParallelFiles {
  src: string;
  tgt: string;
}

export type ScheduleKind = 'noam' | 'cosine';

/** Everything a translate run was made with: written to `config.json`, read back by `resume`. */
export interface TranslateConfig {
  app: 'translate';
  version: 1;
  /**
   * `--src`/`--tgt` files and the `--valid`/`--test` pairs of files (null: none given), or null
   * for the generated default task.
   */
  data: (ParallelFiles & { valid?: ParallelFiles | null; test?: ParallelFiles | null }) | null;
  corpus: string;
  /**
   * Held-out pairs without a `--test` file (the tail of the files; distinct numbers for the
   * default task).
   */
  testSize: number;
  /**
   * Training pairs with more tokens than this on either side are left out; held-out pairs are
   * all kept: cut to this for the loss and the source to translate, scored by BLEU against their
   * whole reference.
   */
  maxTokens: number;
  vocab: { bpeSize: number; shared: boolean };
  /** Vocabulary sizes are the BPEs', known once learned. */
  model: EncoderDecoderConfig;
  /** With either schedule the peak is `learningRate` (Noam's factor is chosen so). */
  train: TrainSettings & { schedule: ScheduleKind; labelSmoothing: number };
  decode: { beams: number; maxNewTokens: number; lengthPenalty: number };
}

/** Size of the generated default task's training split. */
export const DEFAULT_TRAIN_PAIRS = 3000;
