#!/usr/bin/env node
// Two copies of @tensorflow/tfjs-core mean two engines: a backend registered in one is invisible to
// the other and tensors silently stop working. Fail when the workspace resolves more than one copy,
// and when a package imports a workspace package it does not declare.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let failed = false;
const fail = (msg) => {
  console.error(`✗ ${msg}`);
  failed = true;
};

const store = join(root, 'node_modules/.pnpm');
const copies = readdirSync(store).filter((d) => d.startsWith('@tensorflow+tfjs-core@'));
const versions = new Set(copies.map((d) => d.split('@')[2].split('_')[0]));
if (versions.size !== 1)
  fail(`expected one @tensorflow/tfjs-core version, found: ${[...versions].join(', ')}`);
else
  console.log(`✓ one @tensorflow/tfjs-core: ${[...versions][0]} (${copies.length} install dir(s))`);

// Every `@tformer/x` import in a package's non-test source must be declared in its dependencies.
for (const group of ['packages', 'apps']) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base)) {
    const dir = join(base, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
    const walk = (d) =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
      );
    if (!existsSync(join(dir, 'src'))) continue;
    for (const file of walk(join(dir, 'src'))) {
      if (!/\.ts$/.test(file) || /\.test\.ts$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'(@tformer\/[a-z0-9-]+|@tensorflow\/[a-z0-9-]+)'/g)) {
        if (m[1] === pkg.name) continue;
        if (!declared.has(m[1]))
          fail(`${file.slice(root.length)} imports ${m[1]}, not in ${pkg.name}'s dependencies`);
      }
    }
  }
}
if (failed) process.exit(1);
console.log('✓ every workspace import is declared');
