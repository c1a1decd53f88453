import { describeErrorClasses } from '@tformer/test-utils';
import {
  CheckpointError,
  InvalidArgumentError,
  NonFiniteGradientError,
  NonFiniteLossError,
} from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  [
    'InvalidArgumentError',
    'TFORMER_TRAIN_ARGUMENT',
    () => new InvalidArgumentError('labels', 'int32', 'float32'),
  ],
  [
    'NonFiniteLossError',
    'TFORMER_TRAIN_NON_FINITE_LOSS',
    () => new NonFiniteLossError(3, Number.NaN),
  ],
  [
    'NonFiniteGradientError',
    'TFORMER_TRAIN_NON_FINITE_GRADIENT',
    () => new NonFiniteGradientError(7, 5),
  ],
  ['CheckpointError', 'TFORMER_TRAIN_CHECKPOINT', () => new CheckpointError('run/ckpt', 'torn')],
]);
