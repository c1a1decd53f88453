// node --test scripts/check-bundles.test.mjs — the bundle check reports a Node-only import.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bundle, workspaceAliases } from './check-bundles.mjs';

const root = new URL('..', import.meta.url).pathname;
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(cache, 'check-bundles-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a node:fs import in a browser bundle is a warning; a clean module has none', async () => {
  const bad = join(work, 'bad.js');
  writeFileSync(
    bad,
    "import { readFile } from 'node:fs/promises';\nexport const load = (p) => readFile(p);\n",
  );
  const r = await bundle('bad', bad, join(work, 'out-bad'));
  assert.ok(
    r.warnings.some((w) => /node:fs\/promises/.test(w)),
    `expected a node:fs/promises warning, got ${JSON.stringify(r.warnings)}`,
  );
  const good = join(work, 'good.js');
  writeFileSync(good, 'export const twice = (x) => 2 * x;\n');
  const g = await bundle('good', good, join(work, 'out-good'));
  assert.deepEqual(g.warnings, []);
  assert.ok(g.gzipKB > 0 && g.gzipKB < 1, `gzip ${g.gzipKB} kB`);
});

test("an app's subpath import (@tformer/model/generate) resolves to that export's built file", () => {
  const aliases = workspaceAliases();
  const target = (specifier) => {
    const alias = aliases.find(({ find }) => find.test(specifier));
    return alias && specifier.replace(alias.find, alias.replacement);
  };
  assert.equal(target('@tformer/model/generate'), join(root, 'packages/model/dist/generate.js'));
  assert.equal(target('@tformer/model'), join(root, 'packages/model'));
  assert.equal(target('@tformer/nn/node'), join(root, 'packages/nn/dist/node.js'));
  assert.equal(target('@tformer/model/generated'), undefined);
});
