#!/usr/bin/env node
// No synchronous tensor reads in library or app code: on webgpu `dataSync()` stalls the device (in
// Chromium it lost the device, and every later op failed) and on webgl it blocks the page until the
// GPU is done. Read with `await t.data()` / `await t.array()` instead.
//
// Fails on `.dataSync`, `.arraySync` and `.bufferSync` in the published packages' sources
// (packages/*/src, not their tests, not packages/test-utils) and in apps/* (not their tests),
// unless that line or the line above says why the read is safe:
//
//   // sync-read-ok: host-memory backends only (cpu, wasm, tfjs-node): a copy, not a GPU stall
//   throwIfOutOfRange(range.dataSync(), vocabSize);
//
// Prints every justified exception it found, then every violation, and exits 1 on a violation.
//
//   node scripts/check-sync-reads.mjs [--root DIR]   (DIR: the repository root; default this one)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const SYNC_READ = /\.\s*(dataSync|arraySync|bufferSync)\b/;
const JUSTIFIED = /\/\/\s*sync-read-ok:\s*(\S.*)$/;
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|jsx)$/;
const TEST_FILE = /\.(test|spec|bench)\.[cm]?[jt]sx?$/;
const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  'coverage',
  '.turbo',
  '__tests__',
  'test',
  'tests',
]);

/** Source files under `dir`, tests and build output left out. */
function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : sources(path);
    return SOURCE.test(e.name) && !TEST_FILE.test(e.name) && !e.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

/** The directories the rule covers: packages/<name>/src except test-utils, and apps/<name>. */
function scannedDirs(root) {
  const dirs = [];
  const list = (group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group), { withFileTypes: true }).filter((e) => e.isDirectory())
      : [];
  for (const e of list('packages')) {
    if (e.name !== 'test-utils') dirs.push(join(root, 'packages', e.name, 'src'));
  }
  for (const e of list('apps')) dirs.push(join(root, 'apps', e.name));
  return dirs;
}

/** The part of a line that is code: not a comment line, and without a trailing `// …`. */
function codeOf(line) {
  const t = line.trim();
  if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) return '';
  const at = line.indexOf('//');
  return at >= 0 && !/['"`]/.test(line.slice(0, at)) ? line.slice(0, at) : line;
}

/** `{ violations, exceptions }` found under `root`, each `{ file, line, text, reason? }`. */
export function findSyncReads(root) {
  const violations = [];
  const exceptions = [];
  for (const dir of scannedDirs(root)) {
    for (const file of sources(dir)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const m = SYNC_READ.exec(codeOf(line));
        if (!m) return;
        const hit = { file: relative(root, file), line: i + 1, call: m[1], text: line.trim() };
        const why = JUSTIFIED.exec(line) ?? (i > 0 ? JUSTIFIED.exec(lines[i - 1]) : null);
        if (why) exceptions.push({ ...hit, reason: why[1].trim() });
        else violations.push(hit);
      });
    }
  }
  return { violations, exceptions };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname;
if (isMain) {
  const { values } = parseArgs({ options: { root: { type: 'string' } } });
  const root = resolve(values.root ?? new URL('..', import.meta.url).pathname);
  const { violations, exceptions } = findSyncReads(root);
  for (const e of exceptions) {
    console.log(`  sync read justified: ${e.file}:${e.line} (${e.call}) — ${e.reason}`);
  }
  for (const v of violations) {
    console.error(`✗ ${v.file}:${v.line}: ${v.call}() — ${v.text}`);
  }
  if (violations.length) {
    console.error(
      `✗ ${violations.length} synchronous tensor read(s): use \`await t.data()\` (or \`await t.array()\`), ` +
        'or say why this one is safe with `// sync-read-ok: <reason>` on the line or the line above',
    );
    process.exit(1);
  }
  console.log(
    `✓ no unjustified dataSync/arraySync/bufferSync in packages/*/src or apps (${exceptions.length} justified)`,
  );
}
