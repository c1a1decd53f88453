export { Dense, type DenseOptions } from './dense.js';
export {
  ArgumentError,
  formatShape,
  ModuleError,
  NnError,
  SafetensorsError,
  type SafetensorsErrorCode,
  ShapeError,
  StateDictError,
  type StateDictErrorCode,
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
export { linear, matMul2d } from './linear.js';
export {
  type AddParameterOptions,
  type LoadStateDictOptions,
  Module,
  ModuleList,
  type StateDict,
} from './module.js';
export { createRng, type Rng, type RngOption, resolveRng } from './rng.js';
export { assertInt, assertLastDim, assertRank, assertShape } from './shape.js';
