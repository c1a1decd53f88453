// @tformer/backend — the public API (exports below are sorted by module):
//
// | group     | names |
// | --------- | ----- |
// | select    | selectBackend, BackendSelection, SelectBackendOptions, autoOrderFor (the `auto`
// |           | order of an environment), BACKEND_NAMES, BackendName, BackendChoice |
// | describe  | describeBackend, formatBackendInfo, BackendInfo |
// | apps      | parseBackendArgs, selectBackendFromArgs, BACKEND_FLAGS_HELP |
// | settings  | WasmPaths |
// | errors    | BackendUnavailableError, UnknownBackendError, InvalidBackendOptionError |
//
// Internal: gradient registration (selectBackend does it), the auto-order and choice lists
// (autoOrderFor returns the order), the wasm thread default, the webgl flag defaults
// (SelectBackendOptions.webglFlags documents them).

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
  autoOrderFor,
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
} from './names.js';
export {
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';
export type { WasmPaths } from './wasm.js';
