// The README examples of the published packages, run as users run them: each ```js block of
// packages/<name>/README.md is written unchanged to an `.mjs` file inside a project where the
// packed tarballs are installed (release-check.mjs makes it) and run with plain `node`, one
// process per block. Used by release-check.mjs; `node scripts/readme-examples.mjs <dir> [names…]`
// runs them in an existing project.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

/** The bodies of the ```js fenced blocks of a markdown text, in order. */
export function jsBlocks(markdown) {
  return [...markdown.matchAll(/^```js\r?\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

/** The package names the blocks import (`js-tiktoken/ranks/gpt2` → `js-tiktoken`). */
export function importedPackages(blocks) {
  const names = new Set();
  for (const code of blocks) {
    for (const [, spec] of code.matchAll(/^\s*import\s[^'"]*?['"]([^'"]+)['"]/gm)) {
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec))
        continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return names;
}

/**
 * Packages outside the workspace that the READMEs of `dirs` import (e.g. `js-tiktoken` in the
 * tokenizer's examples), at the version the package itself lists (any of its dependency fields).
 */
export function exampleDependencies(dirs) {
  const deps = {};
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const listed = { ...pkg.peerDependencies, ...pkg.devDependencies, ...pkg.dependencies };
    for (const name of importedPackages(jsBlocks(readFileSync(join(dir, 'README.md'), 'utf8')))) {
      if (name.startsWith('@tformer/')) continue;
      if (!listed[name])
        throw new Error(`${pkg.name}: its README imports ${name}, not in package.json`);
      deps[name] = listed[name];
    }
  }
  return deps;
}

/** Runs every ```js block of each package's README in `consumer`; throws on the first failure. */
export function runReadmeExamples(consumer, packages) {
  let count = 0;
  for (const { dir, pkg } of packages) {
    const blocks = jsBlocks(readFileSync(join(dir, 'README.md'), 'utf8'));
    if (blocks.length === 0) throw new Error(`${pkg.name}: its README has no \`\`\`js example`);
    for (const [i, code] of blocks.entries()) {
      const file = `readme-${pkg.name.replace('@tformer/', '')}-${i + 1}.mjs`;
      writeFileSync(join(consumer, file), code);
      try {
        execFileSync('node', [file], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        throw new Error(
          `${pkg.name} README example ${i + 1} of ${blocks.length} failed in plain Node (${file}):\n${error.stderr}`,
        );
      }
      count++;
    }
    console.log(`✓ ${pkg.name}: ${blocks.length} README example(s) ran as .mjs in plain Node`);
  }
  return count;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [consumer, ...names] = process.argv.slice(2);
  if (!consumer) throw new Error('usage: node scripts/readme-examples.mjs <project dir> [names…]');
  const root = new URL('..', import.meta.url).pathname;
  const packages = names.map((name) => {
    const dir = join(root, 'packages', name.replace('@tformer/', ''));
    return { dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
  });
  runReadmeExamples(consumer, packages);
}
