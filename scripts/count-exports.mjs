#!/usr/bin/env node
// Prints how many distinct names each published package exports (values and types, over every
// entry point of its `exports` map), read with the TypeScript compiler API from the built `.d.ts` files, and the
// total. `pnpm build` first. `--list` also prints the names; `--json` prints one JSON object.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));

/** `types` targets of a package's `exports` map, by subpath (`.`, `./node`, …). */
function typeEntries(pkg) {
  return Object.entries(pkg.exports ?? {}).flatMap(([subpath, target]) =>
    typeof target === 'object' && typeof target.types === 'string' ? [[subpath, target.types]] : [],
  );
}

const result = {};
let total = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const base = join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const entries = typeEntries(pkg).map(([subpath, file]) => [subpath, join(base, file)]);
  const missing = entries.filter(([, file]) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`${pkg.name}: ${missing.map(([, f]) => f).join(', ')} missing: pnpm build`);
  }
  const program = ts.createProgram(
    entries.map(([, file]) => file),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  );
  const checker = program.getTypeChecker();
  const perEntry = {};
  for (const [subpath, file] of entries) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file));
    perEntry[subpath] = symbol
      ? checker
          .getExportsOfModule(symbol)
          .map((s) => s.name)
          .sort()
      : [];
  }
  // A name that two entry points export (`./node` re-exporting the root's) counts once.
  const count = new Set(Object.values(perEntry).flat()).size;
  result[pkg.name] = { count, entries: perEntry };
  total += count;
}

if (args.has('--json')) {
  console.log(JSON.stringify({ total, packages: result }, null, 2));
} else {
  for (const [name, { count, entries }] of Object.entries(result)) {
    const parts = Object.entries(entries).map(([subpath, names]) => `${subpath} ${names.length}`);
    console.log(`${name.padEnd(22)} ${String(count).padStart(4)}  (${parts.join(', ')})`);
    if (args.has('--list')) {
      for (const [subpath, names] of Object.entries(entries)) {
        console.log(`  ${subpath}: ${names.join(', ')}`);
      }
    }
  }
  console.log(`${'total'.padEnd(22)} ${String(total).padStart(4)}`);
}
