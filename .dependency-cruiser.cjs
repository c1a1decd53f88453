// Dependency rules of docs/architecture.md (DESIGN.md's package map), enforced in `pnpm lint`.
// Each published package may import only the workspace packages listed here.
// `errors` (TformerError) is an addition to that map: every package may import it, and it imports
// nothing.
const allowed = {
  errors: [],
  tokenizer: ['errors'],
  backend: ['errors'],
  nn: ['errors'],
  embeddings: ['errors', 'nn'],
  attention: ['errors', 'nn', 'embeddings'],
  model: ['errors', 'nn', 'embeddings', 'attention'],
  train: ['errors', 'nn'],
  interpret: ['errors', 'nn', 'model'],
  // The text-level API: tokenizers + models; never a backend (the caller picks one).
  pipelines: ['errors', 'tokenizer', 'nn', 'model'],
  // Private test helpers: they start backends for the suites, so they may use `backend`.
  'test-utils': ['errors', 'nn', 'backend'],
};
const all = Object.keys(allowed);
const testFile = '\\.(test|bench)\\.ts$|/bench/';

const packageRules = all.map((name) => {
  const forbidden = all.filter((other) => other !== name && !allowed[name].includes(other));
  return {
    name: `${name}-imports`,
    comment: `@tformer/${name} may import only: ${allowed[name].join(', ') || 'no workspace package'}`,
    severity: 'error',
    from: { path: `^packages/${name}/src/`, pathNot: testFile },
    to: { path: `^packages/(${forbidden.filter((f) => f !== 'test-utils').join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...packageRules,
    {
      name: 'no-circular',
      comment: 'runtime import cycles; a cycle made only of `import type` edges is erased at build',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'test-utils-only-in-tests',
      comment: '@tformer/test-utils is private: published code must not import it',
      severity: 'error',
      from: { path: '^packages/(?!test-utils/)[^/]+/src/', pathNot: testFile },
      to: { path: '^packages/test-utils/' },
    },
    {
      name: 'tokenizer-and-errors-have-no-tfjs',
      severity: 'error',
      from: { path: '^packages/(tokenizer|errors)/' },
      to: { path: '@tensorflow' },
    },
    {
      name: 'only-backend-registers-backends',
      comment: 'backend packages are imported by @tformer/backend alone',
      severity: 'error',
      from: { path: '^(packages|apps)/', pathNot: '^packages/backend/' },
      to: { path: '@tensorflow/tfjs-(backend-|node)' },
    },
    {
      name: 'no-deep-imports-into-packages',
      comment: 'import a workspace package by its name, never by a relative path into its src',
      severity: 'error',
      from: { path: '^(packages|apps)/([^/]+)/' },
      to: {
        path: '^(packages|apps)/([^/]+)/',
        // Entry points are what `exports` maps name: src/index.ts and subpath entries (src/node.ts,
        // model's src/generate.ts, app-kit's test helpers src/testing.ts).
        pathNot: [
          '^$1/$2/',
          '^(packages|apps)/[^/]+/src/(index|node|testing)\\.ts$',
          '^packages/model/src/generate\\.ts$',
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.turbo)/' },
    tsConfig: { fileName: 'tsconfig.source.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
