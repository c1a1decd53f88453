// @tformer/nn — the public API (exports below are sorted by module):
//
// | group          | names |
// | -------------- | ----- |
// | modules        | Module, ModuleList, StateDict, RandomState |
// | layers         | Dense (inputDim/outputDim), LayerNorm, RMSNorm, Dropout, FeedForward, SwiGLU |
// | activations    | relu, gelu, geluTanh, silu, activation(name), ActivationName |
// | fast products  | linear (rank-2 with wasm's fast gradient), addMany (addN in chunks), rowPicker |
// | initializers   | glorotUniform, normal, scaledResidualNormal, uniform, zeros, ones, constant |
// | random         | createRng, resolveRng, Rng, RngState |
// | safetensors    | encodeSafetensors, decodeSafetensors, readSafetensorsHeader,
// |                | stateDictToSafetensors, safetensorsToStateDict, loadSafetensors, parseJsonFile |
// | errors         | NnError, ShapeError, ArgumentError, ModuleError, StateDictError,
// |                | SafetensorsError; formatShape, assertInt |
//
// Internal: shape assertions, float16/bfloat16 conversions, computeFans, the rank-2 product
// under `linear` (matMul2d), the activation table, the addN chunk size, the safetensors header
// limit. Types of nested fields (an error's `reason`, a header entry) are reachable by indexed
// access: `SafetensorsError['reason']`, `SafetensorsHeader['entries'][number]`.

export { type ActivationName, activation, gelu, geluTanh, relu, silu } from './activations.js';
export { addMany } from './add-many.js';
export { Dense, type DenseOptions } from './dense.js';
export {
  ArgumentError,
  formatShape,
  ModuleError,
  NnError,
  SafetensorsError,
  ShapeError,
  StateDictError,
} from './errors.js';
export {
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
export { linear } from './linear.js';
export {
  type AddParameterOptions,
  type LoadStateDictOptions,
  Module,
  ModuleList,
  type RandomState,
  type StateDict,
} from './module.js';
export {
  createRng,
  type Rng,
  type RngOption,
  type RngState,
  resolveRng,
} from './rng.js';
export { rowPicker } from './row-picker.js';
export {
  type DecodedSafetensors,
  type DecodedTensor,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  readSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type SafetensorsWriteDtype,
  type StateDictToSafetensorsOptions,
  safetensorsToStateDict,
  stateDictToSafetensors,
  type TensorToEncode,
} from './safetensors.js';
export { assertInt } from './shape.js';
