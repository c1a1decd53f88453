// The Node-only entry point `@tformer/train/node`: what needs the file system.
export { DirectoryCheckpointStore } from './directory-checkpoint-store.js';
