// The one atomic writer of the workspace lives in @tformer/train/node; the apps use it from here.
export { writeFileAtomic } from '@tformer/train/node';
