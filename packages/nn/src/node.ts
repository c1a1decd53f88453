// The Node-only entry point `@tformer/nn/node`: the workspace's one atomic file writer, here in
// the lowest package that model, train and the apps all import. The root entry (`@tformer/nn`)
// imports no `node:*` module, so it bundles for browsers.
export { syncDirectory, writeFileAtomic } from './atomic-file.js';
export { crashPoint } from './crash-point.js';
