export { BackendUnavailableError, UnknownBackendError } from './errors.js';
export { ensureGradients } from './gradients.js';
export {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
  type BackendSelection,
  selectBackend,
} from './select-backend.js';
