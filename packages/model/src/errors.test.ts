import { describeErrorClasses } from '@tformer/test-utils';
import { ModelArgumentError, ModelConfigError, SavedModelError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  [
    'ModelConfigError',
    'TFORMER_MODEL_CONFIG',
    () => new ModelConfigError('numLayers', 'must be positive'),
  ],
  [
    'ModelArgumentError',
    'TFORMER_MODEL_ARGUMENT',
    () => new ModelArgumentError('ids', 'int32', 'float32'),
  ],
  [
    'SavedModelError',
    'TFORMER_MODEL_SAVED_MODEL',
    () => new SavedModelError('run/model', [{ name: 'w', kind: 'missing' }]),
  ],
]);
