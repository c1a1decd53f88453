// @tformer/nn — the public API. Helpers the layers share (shape assertions, float conversions,
// fan computation, the addN chunk size, the safetensors header limit) stay internal.

// Activations, by function or by name.
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
// Fast products: rank-2 matmuls whose gradients stay on wasm's fast path; addN in chunks.
export { addMany } from './add-many.js';
// Layers (Keras names: `inputDim`/`outputDim` for Dense, `dModel` for the rest).
export { Dense, type DenseOptions } from './dense.js';
// Errors (all `NnError`s, which extend `TformerError`) and the shape formatting they use.
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
// Initializers.
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
export { linear, matMul2d } from './linear.js';
// Modules: a named tree of parameters and children, train/eval, state dicts, random state.
export {
  type AddParameterOptions,
  type LoadStateDictOptions,
  Module,
  ModuleList,
  type RandomState,
  type StateDict,
} from './module.js';
// Seeded random generators (xoshiro128**), forkable, with a JSON state.
export {
  createRng,
  type Rng,
  type RngOption,
  type RngState,
  resolveRng,
} from './rng.js';
// safetensors on bytes (no file system) and state dicts.
export {
  type DecodedSafetensors,
  type DecodedTensor,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
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
export { assertInt } from './shape.js';
