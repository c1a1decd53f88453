import { describeErrorClasses } from '@tformer/test-utils';
import { PositionOverflowError, TokenIdError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  ['TokenIdError', 'TFORMER_EMBEDDINGS_TOKEN_ID', () => new TokenIdError(0, 9, 5)],
  [
    'PositionOverflowError',
    'TFORMER_EMBEDDINGS_POSITION_OVERFLOW',
    () => new PositionOverflowError(8, 8, 'positions'),
  ],
]);
