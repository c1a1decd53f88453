// The Node-only entry point `@tformer/train/node`: what needs the file system. The root entry
// (`@tformer/train`) imports no `node:*` module, so it bundles for browsers.
export { syncDirectory, writeFileAtomic } from './atomic-file.js';
export { crashPoint } from './crash-point.js';
export {
  type CheckpointManifest,
  DirectoryCheckpointStore,
  type DirectoryCheckpointStoreOptions,
  MANIFEST_FILE,
  type StoredCheckpoint,
} from './directory-checkpoint-store.js';
