/** An interpretability input of the wrong shape or value; names the argument and what was expected. */
export class InterpretError extends Error {
  override readonly name = 'InterpretError';
}
