export { TformerArgumentError } from './argument-error.js';
export { isTformerError, TformerError } from './tformer-error.js';
