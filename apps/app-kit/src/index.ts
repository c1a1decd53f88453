export { writeFileAtomic } from './atomic-write.js';
export {
  classificationResult,
  classProbabilities,
  correctOf,
  formatTestResult,
  type TestResult,
} from './class-probabilities.js';
export { type CliResult, cliFromSource } from './cli-from-source.js';
export {
  addCommonOptions,
  addResumeCommand,
  type BackendOptions,
  type CommonOptions,
  parseInteger,
  parseNumber,
  startBackend,
} from './common-options.js';
export { confusionMatrix, formatConfusion } from './confusion.js';
export { checkRunClasses, DataFileError } from './data-file-error.js';
export {
  EpochSampler,
  type EpochSamplerState,
  type UniformSource,
} from './epoch-sampler.js';
export { type LossPoint, renderLossSvg } from './loss-plot.js';
export {
  createProgress,
  type Progress,
  type ProgressFields,
  type ProgressOptions,
} from './progress.js';
export { runCli, UsageError } from './run-cli.js';
export { type MetricRecord, RunDir } from './run-dir.js';
export { readTextLines } from './text-lines.js';
export {
  resumedConfig,
  TrainingRun,
  type TrainingRunOptions,
  warmupCosine,
} from './training-run.js';
