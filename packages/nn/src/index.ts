export {
  ACTIVATIONS,
  type ActivationName,
  activation,
  gelu,
  geluTanh,
  identity,
  relu,
  silu,
} from './activations.js';
export { ADD_MANY_CHUNK, addMany } from './add-many.js';
export { Dense, type DenseOptions } from './dense.js';
export {
  ArgumentError,
  formatShape,
  ModuleError,
  NnError,
  SafetensorsError,
  type SafetensorsErrorReason,
  ShapeError,
  StateDictError,
  type StateDictErrorReason,
} from './errors.js';
export {
  computeFans,
  constant,
  glorotUniform,
  type Initializer,
  normal,
  ones,
  scaledResidualNormal,
  uniform,
  zeros,
} from './initializers.js';
export { parseJsonFile } from './json-file.js';
export {
  Dropout,
  type DropoutOptions,
  FeedForward,
  type FeedForwardOptions,
  LayerNorm,
  type LayerNormOptions,
  RMSNorm,
  type RMSNormOptions,
  SwiGLU,
  type SwiGLUOptions,
} from './layers.js';
export { linear, matMul2d, matMul2dBias } from './linear.js';
export {
  type AddParameterOptions,
  type LoadStateDictOptions,
  Module,
  ModuleList,
  type RandomState,
  type StateDict,
} from './module.js';
export {
  assertRngState,
  createRng,
  type Rng,
  type RngOption,
  type RngState,
  resolveRng,
} from './rng.js';
export {
  type DecodedSafetensors,
  type DecodedTensor,
  decodeSafetensors,
  encodeSafetensors,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  loadSafetensors,
  MAX_HEADER_BYTES,
  readSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type SafetensorsHeaderEntry,
  type SafetensorsWriteDtype,
  type StateDictToSafetensorsOptions,
  safetensorsToStateDict,
  stateDictToSafetensors,
  type TensorToEncode,
} from './safetensors.js';
export { assertInt, assertLastDim, assertRank, assertShape } from './shape.js';
