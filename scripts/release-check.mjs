#!/usr/bin/env node
// Proves the packages are publishable, not just buildable: builds each one, lints what `pnpm pack`
// would publish (publint, attw), packs it, installs the tarballs into an empty project outside the
// workspace with npm, and imports every package there with plain Node.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  exampleDependencies,
  importedPackages,
  jsBlocks,
  runReadmeExamples,
} from './readme-examples.mjs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
const capture = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, encoding: 'utf8' });

const workspace = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((dir) => ({
    dir: join(root, group, dir),
    pkg: JSON.parse(readFileSync(join(root, group, dir, 'package.json'), 'utf8')),
  })),
);
// Private packages (test-utils, the apps) are never packed: their `prepack` fails on purpose.
const skipped = workspace.filter(({ pkg }) => pkg.private).map(({ pkg }) => pkg.name);
const packages = workspace
  .filter(({ pkg }) => !pkg.private)
  // `pnpm release:check @tformer/nn …` checks only the named packages.
  .filter(({ pkg }) => process.argv.length <= 2 || process.argv.slice(2).includes(pkg.name));
console.log(`release check: ${packages.map(({ pkg }) => pkg.name).join(', ')}`);
console.log(`private, never packed: ${skipped.join(', ')}`);

run('pnpm', [
  'turbo',
  'run',
  'build',
  ...packages.flatMap(({ pkg }) => ['--filter', pkg.name]),
  '--output-logs=errors-only',
]);

const work = mkdtempSync(join(tmpdir(), 'tformer-release-'));
const tarballs = {};
try {
  for (const { dir, pkg } of packages) {
    // publint packs with pnpm, so it sees exactly the files and the workspace:-free manifest users get.
    run('pnpm', ['exec', 'publint', '--strict', '--pack', 'pnpm'], dir);
    // ESM-only packages: attw's esm-only profile checks node16 ESM and bundler resolution.
    run(
      'pnpm',
      ['exec', 'attw', '--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped'],
      dir,
    );
    // Packing must build: `prepack` runs the package's turbo build (restored from turbo's cache
    // when nothing changed), so a tarball is never empty even when dist/ is missing.
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    const out = capture('pnpm', ['pack', '--pack-destination', work], dir)
      .trim()
      .split('\n')
      .at(-1);
    tarballs[pkg.name] = out.startsWith('/') ? out : join(work, out);
    checkTarball(pkg, tarballs[pkg.name]);
  }
  // TFORMER_TARBALLS_DIR keeps a copy of the tarballs for later steps (the browser suite).
  const keep = process.env.TFORMER_TARBALLS_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    for (const file of Object.values(tarballs)) copyFileSync(file, join(keep, basename(file)));
    console.log(`tarballs kept in ${keep}`);
  }

  const consumer = join(work, 'consumer');
  run('mkdir', ['-p', consumer]);
  const tfjs = '4.22.0';
  const deps = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
  );
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify(
      {
        name: 'tformer-release-consumer',
        private: true,
        type: 'module',
        // What the README examples import besides @tformer packages (js-tiktoken's rank tables).
        dependencies: {
          ...deps,
          ...exampleDependencies(packages.map(({ dir }) => dir)),
          '@tensorflow/tfjs-core': tfjs,
        },
        // Internal `@tformer/x@^0.0.0` dependencies resolve to the tarballs, not the registry.
        overrides: deps,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], consumer);

  for (const name of Object.keys(tarballs)) {
    const exports = capture(
      'node',
      [
        '--input-type=module',
        '-e',
        `const m = await import('${name}'); console.log(Object.keys(m).sort().join(', '))`,
      ],
      consumer,
    ).trim();
    if (!exports) throw new Error(`${name}: imported but exports nothing`);
    console.log(`✓ import('${name}') in plain Node: ${exports}`);
  }
  if (['@tformer/backend', '@tformer/nn', '@tformer/train'].every((name) => tarballs[name])) {
    copyFileSync(join(root, 'scripts', 'release-smoke.mjs'), join(consumer, 'smoke.mjs'));
    run('node', ['smoke.mjs'], consumer);
  }
  // Every README example, unchanged, as an .mjs file run by plain Node against the tarballs.
  // (A partial check skips the READMEs that import a package it did not pack.)
  const runnable = packages.filter(({ dir, pkg }) => {
    const blocks = jsBlocks(readFileSync(join(dir, 'README.md'), 'utf8'));
    const missing = [...importedPackages(blocks)].filter(
      (name) => name.startsWith('@tformer/') && !tarballs[name],
    );
    if (missing.length > 0) console.log(`- ${pkg.name} README examples skipped: need ${missing}`);
    return missing.length === 0;
  });
  const examples = runReadmeExamples(consumer, runnable);
  console.log(
    `release check passed: ${Object.keys(tarballs).length} packages packed, installed and imported; ${examples} README examples ran`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Every file that `exports` names (types and code) must be in the tarball. */
function checkTarball(pkg, file) {
  const listed = new Set(capture('tar', ['-tzf', file]).trim().split('\n'));
  const targets = [];
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(pkg.exports);
  const missing = targets.filter((t) => !listed.has(`package/${t.replace(/^\.\//, '')}`));
  if (missing.length > 0) {
    throw new Error(`${pkg.name}: the tarball lacks ${missing.join(', ')} (was it built?)`);
  }
  console.log(`✓ ${pkg.name}: the tarball holds all ${targets.length} files its exports name`);
}
