// The one atomic writer of the workspace; the apps use it from here.
export { writeFileAtomic } from '@tformer/nn/node';
export {
  type AppCommands,
  type AppTrainFlags,
  addSavedRunCommand,
  addStepOptions,
  appProgram,
  runProgram,
  type StepFlags,
  trainSettingsOf,
} from './app-program.js';
export { runBatches } from './batch-sources.js';
export { formatTestResult, type TestResult } from './class-probabilities.js';
export { type ClassifierCommands, classifierProgram } from './classifier-program.js';
export { Classifier, ClassifierRun, type ClassifierTask } from './classifier-run.js';
export {
  addBackendOptions,
  addCommonOptions,
  addForceOption,
  addResumeCommand,
  type BackendOptions,
  type CommonOptions,
  forDecoding,
  parseInteger,
  parseNumber,
  startBackend,
} from './common-options.js';
export { confusionMatrix, formatConfusion } from './confusion.js';
export { checkRunClasses, DataFileError } from './data-file-error.js';
export {
  FileAccessError,
  fileError,
  InterruptedError,
  isFileSystemError,
  RunLockedError,
  statPath,
} from './file-errors.js';
export {
  addHeldOutOptions,
  dataPathsOf,
  evalSplitOf,
  type HeldOutFlags,
  type HeldOutWording,
  holdOut,
  requireTrainingData,
} from './held-out.js';
export { addHfCommands, type HfCommands, type HfFolderOf } from './hf-commands.js';
export { type LossPoint, renderLossSvg } from './loss-plot.js';
export {
  createProgress,
  type Progress,
  type ProgressFields,
  type ProgressOptions,
} from './progress.js';
export { EXIT_CODES, runCli, UsageError } from './run-cli.js';
export {
  createImportedRun,
  finishClassifierRun,
  fitReportingAccuracy,
  formatPredictions,
  loadSavedRun,
  MODEL_DIR,
  resumeAndFinish,
  runDirectoryLine,
  saveRunModel,
  saveWithTestMetrics,
  useSavedRun,
} from './run-commands.js';
export { LOCK_FILE, type MetricRecord, parseMetricsText, RunDir } from './run-dir.js';
export { acquireLock, type LockOwner } from './run-lock.js';
export { argsOrStdinLines, readTextLines, textLinesOf } from './text-lines.js';
export {
  TrainingRun,
  type TrainingRunOptions,
  type TrainSettings,
  warmupCosine,
} from './training-run.js';
