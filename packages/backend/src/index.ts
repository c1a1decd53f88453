// @tformer/backend — the public API (exports below are sorted by module):
//
// | group     | names |
// | --------- | ----- |
// | select    | selectBackend, BackendSelection, SelectBackendOptions, autoOrderFor, AUTO_ORDER,
// |           | BROWSER_AUTO_ORDER, BACKEND_NAMES, BACKEND_CHOICES |
// | describe  | describeBackend, formatBackendInfo, BackendInfo |
// | apps      | parseBackendArgs, selectBackendFromArgs, BACKEND_FLAGS_HELP |
// | settings  | defaultWasmThreads, WasmPaths, WEBGL_DEFAULT_FLAGS |
// | errors    | BackendUnavailableError, UnknownBackendError, InvalidBackendOptionError |
//
// Internal: gradient registration (selectBackend does it).

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
export {
  AUTO_ORDER,
  autoOrderFor,
  BACKEND_CHOICES,
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
  BROWSER_AUTO_ORDER,
} from './names.js';
export {
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';
export { defaultWasmThreads, type WasmPaths } from './wasm.js';
export { WEBGL_DEFAULT_FLAGS } from './webgl-flags.js';
