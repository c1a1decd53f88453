import { describeErrorClasses } from '@tformer/test-utils';
import {
  BackendUnavailableError,
  InvalidBackendOptionError,
  UnknownBackendError,
} from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  [
    'BackendUnavailableError',
    'TFORMER_BACKEND_UNAVAILABLE',
    () => new BackendUnavailableError('node', 'not installed'),
  ],
  ['UnknownBackendError', 'TFORMER_BACKEND_UNKNOWN', () => new UnknownBackendError('tpu', ['cpu'])],
  [
    'InvalidBackendOptionError',
    'TFORMER_BACKEND_OPTION',
    () => new InvalidBackendOptionError('wasmThreads', 'a positive integer', 0),
  ],
]);
