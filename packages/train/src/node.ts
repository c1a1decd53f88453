// The Node-only entry point `@tformer/train/node`: what needs the file system. The root entry
// (`@tformer/train`) imports no `node:*` module, so it bundles for browsers.
export {
  DirectoryCheckpointStore,
  type DirectoryCheckpointStoreOptions,
  type StoredCheckpoint,
} from './directory-checkpoint-store.js';
