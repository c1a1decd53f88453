import { describeErrorClasses } from '@tformer/test-utils';
import { InterpretError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([['InterpretError', 'TFORMER_INTERPRET', () => new InterpretError('bad')]]);
