import { describeErrorClasses } from '@tformer/test-utils';
import {
  ArgumentError,
  ModuleError,
  NnError,
  SafetensorsError,
  ShapeError,
  StateDictError,
} from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  ['NnError', 'TFORMER_NN', () => new NnError('x')],
  ['ShapeError', 'TFORMER_NN_SHAPE', () => new ShapeError('x', [2], [3])],
  [
    'ArgumentError',
    'TFORMER_NN_ARGUMENT',
    () => new ArgumentError('rate', 1.5, 'a number in [0, 1)'),
  ],
  ['ModuleError', 'TFORMER_NN_MODULE', () => new ModuleError('disposed')],
  [
    'StateDictError',
    'TFORMER_NN_STATE_DICT',
    () => new StateDictError('missing', 'w', 'missing w'),
  ],
  ['SafetensorsError', 'TFORMER_NN_SAFETENSORS', () => new SafetensorsError('truncated', 'short')],
]);
