export {
  BACKEND_FLAGS_HELP,
  type BackendArgs,
  parseBackendArgs,
  selectBackendFromArgs,
} from './cli.js';
export { type BackendInfo, describeBackend, formatBackendInfo } from './describe.js';
export {
  BackendUnavailableError,
  InvalidBackendOptionError,
  UnknownBackendError,
} from './errors.js';
export { ensureGradients } from './gradients.js';
export {
  AUTO_ORDER,
  BACKEND_CHOICES,
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
} from './names.js';
export {
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';
export { defaultWasmThreads } from './wasm.js';
