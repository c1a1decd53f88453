export { isTformerError, TformerError } from './tformer-error.js';
