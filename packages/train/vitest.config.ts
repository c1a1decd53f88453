import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// The Node-only subpath `@tformer/train/node` resolves to its source too (README examples use it).
export default mergeConfig(sharedConfig, {
  resolve: {
    alias: [
      {
        find: /^@tformer\/train\/node$/,
        replacement: fileURLToPath(new URL('./src/node.ts', import.meta.url)),
      },
    ],
  },
});
