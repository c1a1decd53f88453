// node --test scripts/check-sync-reads.test.mjs — the lint rule fails on an injected sync read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';

const script = new URL('./check-sync-reads.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'check-sync-reads-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(path, text) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
const run = () => spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8' });

// Allowed everywhere: tests, test-utils, build output, comments, a justified read.
write('packages/nn/src/ok.test.ts', 'const a = t.dataSync();\n');
write('packages/test-utils/src/read.ts', 'const a = t.arraySync();\n');
write('packages/nn/dist/index.js', 'const a = t.dataSync();\n');
write('packages/nn/src/doc.ts', '/**\n * never `t.dataSync()` here\n */\n// not t.bufferSync()\n');
write(
  'apps/bench/src/run.ts',
  'const x = 1;\n// sync-read-ok: Node CLI on cpu only\nconst a = t.dataSync();\n' +
    'const b = t.arraySync(); // sync-read-ok: same line\n',
);

test('a clean tree passes and lists the justified exceptions', () => {
  const r = run();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /apps\/bench\/src\/run\.ts:3 \(dataSync\) — Node CLI on cpu only/);
  assert.match(r.stdout, /apps\/bench\/src\/run\.ts:4 \(arraySync\) — same line/);
  assert.match(r.stdout, /2 justified/);
});

test('an injected dataSync in a package source fails, naming the file and line', () => {
  write('packages/train/src/step.ts', 'export const f = (t) =>\n  t.dataSync()[0];\n');
  const r = run();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /packages\/train\/src\/step\.ts:2: dataSync\(\)/);
  rmSync(join(root, 'packages/train/src/step.ts'));
  assert.equal(run().status, 0);
});

test('an unjustified arraySync or bufferSync in an app fails; an empty reason does not justify', () => {
  write('apps/playground/src/view.ts', '// sync-read-ok:\nconst v = t.arraySync();\n');
  write('apps/playground/e2e/page.mjs', 'const b = t.bufferSync();\n');
  const r = run();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /apps\/playground\/src\/view\.ts:2: arraySync\(\)/);
  assert.match(r.stderr, /apps\/playground\/e2e\/page\.mjs:1: bufferSync\(\)/);
  assert.match(r.stderr, /2 synchronous tensor read\(s\)/);
});

test('this repository passes', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
