export { assertNoLeaks } from './assert-no-leaks.js';
export {
  type RefAttentionInput,
  type RefMultiHeadInput,
  type RefProjection,
  refAttention,
  refMultiHeadAttention,
} from './attention-reference.js';
export {
  COPY_TASK,
  COPY_TASK_MODEL,
  type CopyTaskTraining,
  copyTaskSequences,
  trainCopyTask,
} from './copy-task.js';
export {
  describeOnEveryBackend,
  describeWithBackends,
  requiredBackends,
  testBackends,
} from './describe-with-backends.js';
export {
  refAlibi,
  refGather,
  refPatchify,
  refRope,
  refSinusoidal,
} from './embeddings-reference.js';
export { describeErrorClasses, type ErrorClassCase } from './error-classes.js';
export { expectTensorsClose, type Tolerance } from './expect-tensors-close.js';
export { numericGradient } from './finite-differences.js';
export { type FuzzOptions, type FuzzReport, fuzzFormat } from './fuzz-format.js';
export { checkLayer, type LayerCheck } from './grad-check.js';
export {
  numericGradients,
  randomFloats,
  refActivations,
  refDense,
  refDot,
  refErf,
  refRmsNorm,
  refSwiGlu,
} from './nn-reference.js';
export { maxAbsDiff, randomizeParameters } from './randomize-parameters.js';
export { extractJsBlocks, runReadmeExamples } from './readme-examples.js';
export { refLayerNorm, refMatMul, refSoftmax } from './reference.js';
export { type RefAdamState, refAdamStep } from './reference-adamw.js';
export {
  refBinaryCrossEntropy,
  refCrossEntropy,
  refDistillationLoss,
  refKlDivergence,
} from './reference-losses.js';
export {
  type RefAttentionWeights,
  type RefBlockInput,
  type RefBlockWeights,
  type RefDecoderBlockInput,
  type RefGpt2Weights,
  refDecoderBlock,
  refGpt2Forward,
  refProjectedAttention,
  refTransformerBlock,
} from './reference-transformer.js';
export {
  type ParamLookup,
  paramLookup,
  refAttentionWeightsAt,
  refBlockWeightsAt,
  refDecoderWeightsAt,
} from './reference-weights.js';
export { safetensorsBytes } from './safetensors-bytes.js';
export { temporaryDirectory } from './temporary-directory.js';
export { thrownError } from './thrown-error.js';
export { tidyAsync } from './tidy-async.js';
