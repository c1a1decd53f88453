import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * One vitest config for every workspace project. `@tformer/*` resolves to the package's
 * `src/index.ts`, so `pnpm test` never needs a prior build and always tests the source.
 */
export const sharedConfig = defineConfig({
  resolve: {
    alias: [
      // The one shared library that lives among the apps (it prints, reads files, picks backends).
      { find: /^@tformer\/app-kit$/, replacement: `${root}apps/app-kit/src/index.ts` },
      // Its CLI-test helpers, a subpath of their own (they import vitest).
      { find: /^@tformer\/app-kit\/testing$/, replacement: `${root}apps/app-kit/src/testing.ts` },
      { find: /^@tformer\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      // Subpath entries, e.g. `@tformer/train/node` → packages/train/src/node.ts.
      {
        find: /^@tformer\/([a-z0-9-]+)\/([a-z0-9-]+)$/,
        replacement: `${root}packages/$1/src/$2.ts`,
      },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous on purpose: CI and developers share 2 cores with other work, and a CLI test that
    // trains a tiny model took 132 s at load 17 (it takes ~15 s idle). A time limit is a hang
    // detector here, never a speed check (speed is measured in `pnpm bench`).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // tfjs keeps one global engine per process: isolate files in their own forks.
    pool: 'forks',
    // The JSON report feeds scripts/test-summary.mjs, which sums every package into one line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/report.json' },
  },
});
