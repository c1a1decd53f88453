// The workspace's one atomic writer is `@tformer/nn/node`'s; this name stays for the Hugging Face
// folder writer (hf/hf-files.ts) until it imports that directly.
export { writeFileAtomic as writeAtomic } from '@tformer/nn/node';
