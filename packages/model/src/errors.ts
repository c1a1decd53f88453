/** A model configuration that cannot describe a working model; names the field and the rule. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
