// @tformer/train — the public API (exports below are sorted by module); files on disk are in
// `@tformer/train/node` (DirectoryCheckpointStore; its atomic writes are `@tformer/nn/node`'s):
//
// | group       | names |
// | ----------- | ----- |
// | losses      | crossEntropy, binaryCrossEntropyWithLogits, klDivergence, distillationLoss |
// | optimizers  | AdamW, Adam |
// | schedules   | WarmupCosineSchedule, NoamSchedule, ConstantSchedule |
// | gradients   | clipByGlobalNorm, GradientAccumulator |
// | training    | Trainer, evaluate, progressLogger, DataSource, MemoryCheckpointStore |
// | metrics     | perplexity, countCorrect, macroF1, corpusBleu (sacreBLEU's 13a tokenization) |
// | errors      | InvalidArgumentError, NonFiniteLossError, NonFiniteGradientError, CheckpointError |
//
// Internal: the log line formatters, schedule reconstruction from a checkpoint, BLEU's 13a
// tokenizer (corpusBleu applies it), the checkpoint directory's manifest format.

export { Adam } from './adam.js';
export { AdamW, type AdamWOptions, defaultDecayFilter } from './adamw.js';
export { binaryCrossEntropyWithLogits } from './binary-cross-entropy.js';
export { type BleuOptions, type BleuResult, corpusBleu } from './bleu.js';
export type { CheckpointInfo, CheckpointStore } from './checkpoint-store.js';
export { countCorrect, macroF1, perplexity } from './classification-metrics.js';
export { clipByGlobalNorm } from './clip-by-global-norm.js';
export { ConstantSchedule } from './constant-schedule.js';
export { type CrossEntropyOptions, crossEntropy } from './cross-entropy.js';
export { type DistillationOptions, distillationLoss } from './distillation-loss.js';
export {
  CheckpointError,
  InvalidArgumentError,
  NonFiniteGradientError,
  NonFiniteLossError,
} from './errors.js';
export { type EvaluateOptions, evaluate } from './evaluate.js';
export { GradientAccumulator } from './gradient-accumulator.js';
export { type KlDivergenceOptions, klDivergence } from './kl-divergence.js';
export { MemoryCheckpointStore } from './memory-checkpoint-store.js';
export { type NoamOptions, NoamSchedule } from './noam-schedule.js';
export type { Optimizer } from './optimizer.js';
export {
  type ProgressLoggerOptions,
  progressLogger,
} from './progress-logger.js';
export type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
export { Trainer } from './trainer.js';
export type {
  DataSource,
  EvalMetrics,
  Json,
  LossFunction,
  NonFiniteOptions,
  Resumable,
  SkippedStep,
  StepMetrics,
  TrainerCallbacks,
  TrainerOptions,
  TrainerState,
} from './trainer-types.js';
export { type WarmupCosineOptions, WarmupCosineSchedule } from './warmup-cosine-schedule.js';
