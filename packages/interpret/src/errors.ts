import { TformerError } from '@tformer/errors';

/** An interpretability input of the wrong shape or value; names the argument and what was expected. */
export class InterpretError extends TformerError {
  override readonly name = 'InterpretError';
  override readonly code = 'TFORMER_INTERPRET';
}
