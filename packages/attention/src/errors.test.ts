import { describeErrorClasses } from '@tformer/test-utils';
import { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './index.js';

// Every error of this package is a TformerError with its own stable code (docs/architecture.md#errors).
describeErrorClasses([
  [
    'AttentionShapeError',
    'TFORMER_ATTENTION_SHAPE',
    () => new AttentionShapeError('key', '[B, H, S, d]', [1, 2]),
  ],
  [
    'AttentionArgumentError',
    'TFORMER_ATTENTION_ARGUMENT',
    () => new AttentionArgumentError('heads', 'a positive integer', 0),
  ],
  [
    'KVCacheOverflowError',
    'TFORMER_ATTENTION_KV_CACHE_OVERFLOW',
    () => new KVCacheOverflowError(4, 5),
  ],
]);
