/**
 * tfjs-core's gradient registrations. Under vitest and bundlers this imports tfjs-core's own
 * module; the published build replaces this file with a self-contained bundle of the same code
 * (scripts/bundle-gradients.mjs), because plain Node cannot load tfjs-core's ESM dist (its
 * imports have no file extensions). Gradients land in tfjs-core's global registry, which every
 * copy of tfjs-core shares.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
