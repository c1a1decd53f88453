export { type AttentionRolloutOptions, attentionRollout } from './attention-rollout.js';
export { InterpretError } from './errors.js';
