import { describeErrorClasses } from '@tformer/test-utils';
import { TokenizerError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  ['TokenizerError', 'TFORMER_TOKENIZER', () => new TokenizerError('id-out-of-range', 'id 9')],
]);
