#!/usr/bin/env node
// The browser suite: tformer as a user's Vite app gets it, in real headless Chromium.
//
// Packs the publishable packages (or takes tarballs from --tarballs DIR, e.g. the release
// check's), creates a fresh Vite app in a temporary directory outside the workspace, npm-installs
// the tarballs with tfjs-core and the webgl/webgpu backends from the npm registry, builds it with
// `vite build`, serves it with `vite preview` on 127.0.0.1 and drives /usr/bin/chromium through
// playwright-core (no browser download). The parity page (app/src/parity.ts) runs on cpu, wasm,
// webgl and webgpu; this script compares each backend's numbers with cpu's, runs @tformer/backend's
// README browser snippet in a second page, prints one line per check and `N passed, N failed`,
// writes a JSON result file, and exits non-zero on any failure.
//
//   node scripts/browser/run.mjs [--tarballs DIR] [--backends cpu,wasm,webgl,webgpu]
//                                [--out FILE] [--keep] [--chromium PATH] [--app DIR]
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const execFileP = promisify(execFile);
const root = resolve(new URL('../..', import.meta.url).pathname);
const here = join(root, 'scripts', 'browser');

const { values: args } = parseArgs({
  options: {
    tarballs: { type: 'string' },
    backends: { type: 'string', default: 'cpu,wasm,webgl,webgpu' },
    out: { type: 'string', default: join(root, 'runs', 'browser', 'result.json') },
    keep: { type: 'boolean', default: false },
    // Development: reuse the installed app of an earlier --keep run (copies the page sources again).
    app: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const backends = args.backends.split(',').filter(Boolean);
if (backends[0] !== 'cpu') backends.unshift('cpu'); // the reference runs first

// Versions a user would install next to the tarballs (npm registry only).
const TFJS = '4.22.0';
const VITE = '8.4.0';
const PLAYWRIGHT_CORE = '1.65.2';
const TYPESCRIPT = '5.9.3';
// Chromium with SwiftShader: WebGL, and WebGPU through its fallback (software) adapter.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--use-angle=swiftshader',
  '--enable-features=Vulkan',
];
// Every wait is bounded (ms).
const TIMEOUT = {
  build: 300_000,
  install: 300_000,
  viteBuild: 180_000,
  preview: 30_000,
  page: 240_000,
  whole: 20 * 60_000,
};

/**
 * Largest differences allowed against the cpu backend with the tiny models of the page.
 * `forward` and `grad` are absolute (max |a − b| over every element), `gradNorm` and `loss` are
 * relative (the global gradient norm; each training step's loss). Measured on Chromium 156 with
 * SwiftShader (docs/browser.md, 2026-12-05): wasm, webgl and webgpu all stay below 6e-6 absolute
 * and 6e-7 relative, so 1e-4 leaves a margin of ~20×; SwiftShader runs float32 throughout (a
 * hardware GPU with float16 textures would need ~1e-3, not measured here: no GPU machine yet).
 */
const TOLERANCE = {
  wasm: { forward: 1e-4, grad: 1e-4, gradNorm: 1e-4, loss: 1e-4 },
  webgl: { forward: 1e-4, grad: 1e-4, gradNorm: 1e-4, loss: 1e-4 },
  webgpu: { forward: 1e-4, grad: 1e-4, gradNorm: 1e-4, loss: 1e-4 },
};

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const watchdog = setTimeout(() => {
  console.error(`browser suite: gave up after ${TIMEOUT.whole / 60000} min`);
  process.exit(2);
}, TIMEOUT.whole);
watchdog.unref();

const checks = [];
function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail });
  console.log(`${ok ? '✓' : '✗'} ${name}${detail ? ` — ${detail}` : ''}`);
}

async function sh(cmd, argv, cwd, timeout) {
  try {
    return await execFileP(cmd, argv, { cwd, timeout, maxBuffer: 64 << 20, encoding: 'utf8' });
  } catch (error) {
    const out = `${error.stdout ?? ''}${error.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-30)
      .join('\n');
    throw new Error(
      `${cmd} ${argv.join(' ')} failed${error.killed ? ` (timed out after ${timeout / 1000}s)` : ''}:\n${out}`,
    );
  }
}

/** Builds and packs every publishable package; returns { name: tarball path }. */
async function pack(dir) {
  const pkgs = readdirSync(join(root, 'packages'))
    .map((d) => ({
      dir: join(root, 'packages', d),
      pkg: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')),
    }))
    .filter(({ pkg }) => !pkg.private);
  console.log(`building ${pkgs.map(({ pkg }) => pkg.name).join(', ')}`);
  await sh(
    'pnpm',
    [
      'turbo',
      'run',
      'build',
      ...pkgs.flatMap(({ pkg }) => ['--filter', pkg.name]),
      '--output-logs=errors-only',
    ],
    root,
    TIMEOUT.build,
  );
  const tarballs = {};
  for (const { dir: pkgDir, pkg } of pkgs) {
    const { stdout } = await sh('pnpm', ['pack', '--pack-destination', dir], pkgDir, 60_000);
    const out = stdout.trim().split('\n').at(-1);
    tarballs[pkg.name] = out.startsWith('/') ? out : join(dir, out);
  }
  return tarballs;
}

/** Tarballs already packed (by the release check): `<scope>-<name>-<version>.tgz`. */
function tarballsIn(dir) {
  const tarballs = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const m = /^tformer-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file);
    if (m) tarballs[`@tformer/${m[1]}`] = join(dir, file);
  }
  if (!Object.keys(tarballs).length) throw new Error(`no @tformer tarballs in ${dir}`);
  return tarballs;
}

/** The ```js (or ```ts) block of @tformer/backend's README that runs `const sel = await selectBackend('auto')`. */
function readmeSnippet() {
  const readme = readFileSync(join(root, 'packages', 'backend', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.find((b) => /const\s+sel\s*=\s*await\s+selectBackend\(\s*'auto'/.test(b));
}

/** The README snippet as a module exporting its `sel`, or one that says the README lacks it. */
function snippetModule() {
  const snippet = readmeSnippet();
  return snippet
    ? `${snippet}\nexport { sel };\n`
    : 'throw new Error("packages/backend/README.md has no ```js block with `const sel = await selectBackend(\'auto\')`");\nexport const sel = undefined;\n';
}

async function createApp(dir, tarballs) {
  cpSync(join(here, 'app'), dir, { recursive: true });
  writeFileSync(join(dir, 'src', 'readme-snippet.ts'), snippetModule());
  const deps = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'tformer-browser-app',
        private: true,
        type: 'module',
        scripts: { build: 'vite build', preview: 'vite preview' },
        dependencies: {
          ...deps,
          '@tensorflow/tfjs-core': TFJS,
          '@tensorflow/tfjs-backend-webgl': TFJS,
          '@tensorflow/tfjs-backend-webgpu': TFJS,
        },
        devDependencies: {
          vite: VITE,
          'playwright-core': PLAYWRIGHT_CORE,
          typescript: TYPESCRIPT,
        },
        // Internal `@tformer/x@^0.0.0` dependencies resolve to the tarballs, not the registry.
        overrides: deps,
      },
      null,
      2,
    ),
  );
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function startPreview(dir) {
  const port = await freePort();
  return new Promise((resolvePreview, reject) => {
    const child = spawn(
      join(dir, 'node_modules', '.bin', 'vite'),
      ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`vite preview printed no URL in ${TIMEOUT.preview / 1000}s:\n${out}`));
    }, TIMEOUT.preview);
    const onData = (chunk) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePreview({ child, url: `http://127.0.0.1:${m[1]}/` });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vite preview exited with ${code}:\n${out}`));
    });
  });
}

/** Opens `url` in a fresh context (empty cache), waits for `window.__result.done`. */
async function runPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  const requests = [];
  page.on('requestfinished', (r) => requests.push(r));
  const t0 = performance.now();
  try {
    await page.goto(url, { timeout: 60_000 });
    await page.waitForFunction(() => window.__result?.done, null, {
      timeout: TIMEOUT.page,
      polling: 250,
    });
    const result = await page.evaluate(() => window.__result);
    const entries = await page.evaluate(() =>
      [
        ...performance.getEntriesByType('navigation'),
        ...performance.getEntriesByType('resource'),
      ].map((e) => ({
        name: e.name,
        transferSize: e.transferSize,
        encodedBodySize: e.encodedBodySize,
      })),
    );
    let bytes = 0;
    for (const r of requests) {
      const s = await r.sizes().catch(() => undefined);
      if (s) bytes += s.responseBodySize + s.responseHeadersSize;
    }
    return {
      result,
      wallMs: performance.now() - t0,
      network: {
        kB: bytes / 1000,
        kBPerformanceEntries: entries.reduce((s, e) => s + e.transferSize, 0) / 1000,
        files: entries.map((e) => e.name.replace(/^https?:\/\/[^/]+/, '')),
      },
      console: consoleLines,
    };
  } catch (error) {
    const partial = await page.evaluate(() => window.__result).catch(() => undefined);
    return { error: error.message.split('\n')[0], result: partial, console: consoleLines };
  } finally {
    await context.close();
  }
}

const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
};
const norm = (grads) =>
  Math.sqrt(Object.values(grads).reduce((s, g) => s + g.reduce((t, x) => t + x * x, 0), 0));
const fmt = (x) => (Number.isFinite(x) ? x.toExponential(1) : String(x));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : Number.NaN;
};

/** Compares one backend's page with the cpu page; returns the measured differences. */
function compare(backend, got, ref) {
  const tol = TOLERANCE[backend] ?? TOLERANCE.webgpu;
  const diffs = {};
  const part = (name) => {
    const g = got.parts?.[name];
    const r = ref.parts?.[name];
    if (!r?.ok) {
      check(`${backend}: ${name}`, false, 'no cpu reference (the cpu page failed this part)');
      return undefined;
    }
    if (!g) {
      check(`${backend}: ${name}`, false, 'did not run (the page stopped before it)');
      return undefined;
    }
    if (!g.ok) {
      check(`${backend}: ${name}`, false, g.error);
      return undefined;
    }
    return [g.value, r.value];
  };
  for (const model of ['DecoderLM', 'EncoderDecoder', 'VisionTransformer']) {
    const b = got.parts?.[`build ${model}`];
    if (b && !b.ok) check(`${backend}: build ${model}`, false, b.error);
  }
  for (const model of ['DecoderLM', 'EncoderDecoder', 'VisionTransformer']) {
    const name = `forward ${model}`;
    const p = part(name);
    if (p) {
      const d = maxAbsDiff(p[0], p[1]);
      diffs[name] = d;
      check(
        `${backend}: ${name} logits = cpu`,
        d <= tol.forward,
        `max |diff| ${fmt(d)} (tol ${tol.forward})`,
      );
    }
  }
  for (const model of ['DecoderLM', 'EncoderDecoder', 'VisionTransformer']) {
    const name = `gradients ${model}`;
    const p = part(name);
    if (!p) continue;
    const [g, r] = p;
    const names = Object.keys(r.grads);
    const missing = names.filter((n) => !g.grads[n]);
    let worst = { name: '', d: 0 };
    for (const n of names.filter((k) => g.grads[k])) {
      const d = maxAbsDiff(g.grads[n], r.grads[n]);
      if (!(d <= worst.d)) worst = { name: n, d };
    }
    const [ng, nr] = [norm(g.grads), norm(r.grads)];
    const normRel = Math.abs(ng - nr) / nr;
    diffs[`${name} max`] = worst.d;
    diffs[`${name} norm rel`] = normRel;
    check(
      `${backend}: ${name} (${names.length} tensors) = cpu`,
      !missing.length && worst.d <= tol.grad && normRel <= tol.gradNorm,
      missing.length
        ? `missing ${missing.join(', ')}`
        : `max |diff| ${fmt(worst.d)} at ${worst.name} (tol ${tol.grad}); global norm ${ng.toFixed(5)} vs ${nr.toFixed(5)}, rel ${fmt(normRel)} (tol ${tol.gradNorm})`,
    );
  }
  {
    const name = 'train DecoderLM 20 AdamW steps';
    const p = part(name);
    if (p) {
      const [g, r] = p;
      let worst = { step: 0, d: 0 };
      r.losses.forEach((l, i) => {
        const d = Math.abs((g.losses[i] ?? Number.NaN) - l) / Math.abs(l);
        if (!(d <= worst.d)) worst = { step: i + 1, d: Number.isNaN(d) ? Infinity : d };
      });
      diffs[`${name} loss rel`] = worst.d;
      // The global norm clipByGlobalNorm computed before clipping, each step (Trainer's gradNorm).
      let worstNorm = { step: 0, d: 0 };
      r.gradNorms.forEach((n, i) => {
        const d = Math.abs((g.gradNorms[i] ?? Number.NaN) - n) / Math.abs(n);
        if (!(d <= worstNorm.d)) worstNorm = { step: i + 1, d: Number.isNaN(d) ? Infinity : d };
      });
      diffs[`${name} gradNorm rel`] = worstNorm.d;
      const at = worstNorm.step - 1;
      check(
        `${backend}: ${name}, clipByGlobalNorm's norm = cpu`,
        worstNorm.d <= tol.gradNorm,
        `max rel diff ${fmt(worstNorm.d)} at step ${worstNorm.step}${worstNorm.step ? ` (${g.gradNorms[at]} vs cpu ${r.gradNorms[at]})` : ''} (tol ${tol.gradNorm})`,
      );
      check(
        `${backend}: ${name}, losses = cpu`,
        g.losses.length === 20 && worst.d <= tol.loss,
        `${g.losses.length} steps, loss ${g.losses[0]?.toFixed(4)} → ${g.losses.at(-1)?.toFixed(4)}; max rel diff ${fmt(worst.d)} at step ${worst.step} (tol ${tol.loss})`,
      );
    }
  }
  {
    const name = 'generate DecoderLM 16 tokens greedy (KV cache)';
    const p = part(name);
    if (p) {
      const [g, r] = p;
      const same = JSON.stringify(g.tokens) === JSON.stringify(r.tokens);
      check(
        `${backend}: ${name}, tokens = cpu`,
        same,
        same
          ? `${g.tokens.flat().length} tokens`
          : `got ${JSON.stringify(g.tokens)}, cpu ${JSON.stringify(r.tokens)}`,
      );
    }
  }
  return diffs;
}

function metrics(run) {
  const p = run.result?.parts ?? {};
  const train = p['train DecoderLM 20 AdamW steps'];
  const gen = p['generate DecoderLM 16 tokens greedy (KV cache)'];
  return {
    msPerStep: train?.ok ? median(train.value.msPerStep) : null,
    tokensPerSecond: gen?.ok ? gen.value.tokensPerSecond : null,
    firstResultMs: run.result?.firstResultMs ?? null,
    pageMs: run.wallMs ?? null,
    kBTransferred: run.network?.kB ?? null,
  };
}

async function main() {
  const work = args.app
    ? dirname(resolve(args.app))
    : mkdtempSync(join(tmpdir(), 'tformer-browser-'));
  const app = join(work, 'app');
  const report = { date: new Date().toISOString(), backends: {}, snippet: undefined, checks };
  let preview;
  let browser;
  try {
    let tarballs;
    if (args.app) {
      cpSync(join(here, 'app'), app, { recursive: true });
      writeFileSync(join(app, 'src', 'readme-snippet.ts'), snippetModule());
      console.log(`reusing ${app}`);
    } else if (args.tarballs) {
      tarballs = tarballsIn(resolve(args.tarballs));
      console.log(`tarballs from ${args.tarballs}: ${Object.keys(tarballs).join(', ')}`);
    } else {
      mkdirSync(join(work, 'tarballs'));
      tarballs = await pack(join(work, 'tarballs'));
      console.log(`packed ${Object.keys(tarballs).length} packages (${elapsed()})`);
    }
    if (!args.app) {
      mkdirSync(app);
      await createApp(app, tarballs);
      await sh(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          '--registry=https://registry.npmjs.org/',
        ],
        app,
        TIMEOUT.install,
      );
      console.log(`npm install done in ${app} (${elapsed()})`);
    }
    // The page type-checks against the published .d.ts files (Vite strips types without checking).
    const typed = await sh(
      join(app, 'node_modules', '.bin', 'tsc'),
      ['-p', '.'],
      app,
      120_000,
    ).then(
      () => '',
      (error) => error.message,
    );
    check(
      'page type-checks against the published types (tsc)',
      !typed,
      typed.split('\n').slice(1, 6).join(' | ') || 'no errors',
    );
    const { stdout: built } = await sh(
      join(app, 'node_modules', '.bin', 'vite'),
      ['build'],
      app,
      TIMEOUT.viteBuild,
    );
    const warnings = built.split('\n').filter((l) => /warn|\(!\)/i.test(l));
    console.log(`vite build done (${elapsed()})`);
    check(
      'vite build of the app',
      true,
      warnings.length ? `warnings: ${warnings.join(' | ')}` : 'no warnings',
    );
    const pageCode = readdirSync(join(here, 'app', 'src'))
      .map((f) => readFileSync(join(here, 'app', 'src', f), 'utf8'))
      .join('\n');
    check(
      'page code reads tensors only with await t.data()',
      !/\.(dataSync|arraySync)\(/.test(pageCode),
      'no dataSync/arraySync in scripts/browser/app/src',
    );
    const assets = readdirSync(join(app, 'dist', 'assets'));
    const wasmAssets = assets.filter((f) => f.endsWith('.wasm'));
    check(
      'app has no public/ (no .wasm copied by hand)',
      !existsSync(join(app, 'public')),
      `vite emitted ${wasmAssets.length} .wasm asset(s): ${wasmAssets.join(', ') || 'none'}`,
    );

    const executablePath = args.chromium;
    if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}`);
    const require = createRequire(join(app, 'package.json'));
    const playwright = await import(pathToFileURL(require.resolve('playwright-core')).href);
    const { chromium } = playwright.chromium ? playwright : playwright.default;
    preview = await startPreview(app);
    console.log(`vite preview at ${preview.url} (${elapsed()})`);
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: 60_000,
    });
    console.log(`chromium ${browser.version()} (${elapsed()})`);

    const runs = {};
    for (const backend of backends) {
      const run = await runPage(browser, `${preview.url}?backend=${backend}`);
      runs[backend] = run;
      const sel = run.result?.selection;
      console.log(
        `\n--- ${backend}: ${run.error ? `page ${run.error}` : `${(run.wallMs / 1000).toFixed(1)}s`} (${elapsed()})`,
      );
      const startErr = run.result?.parts?.start;
      check(
        `${backend}: selectBackend('${backend}') starts it`,
        sel?.name === backend && !startErr,
        startErr
          ? startErr.error
          : sel
            ? `${sel.reason}; tfjs backend ${sel.tfjsBackend}; ${JSON.stringify(sel.info?.adapter ?? sel.info?.details ?? '')}`
            : (run.error ?? 'no result'),
      );
      if (run.error) check(`${backend}: page finished`, false, run.error);
      const entry = { selection: sel, metrics: metrics(run), error: run.error };
      const train = run.result?.parts?.['train DecoderLM 20 AdamW steps'];
      if (train?.ok) entry.train = train.value; // losses, gradNorms (before clipping), msPerStep
      if (backend === 'cpu') {
        for (const [name, p] of Object.entries(run.result?.parts ?? {})) {
          if (name !== 'start')
            check(`cpu: ${name} (reference)`, p.ok, p.ok ? `${p.ms.toFixed(0)} ms` : p.error);
        }
      } else if (sel?.name === backend) {
        entry.maxDiffs = compare(backend, run.result, runs.cpu.result ?? { parts: {} });
      }
      if (backend === 'wasm' && run.network) {
        const wasmFiles = run.network.files.filter((f) => f.endsWith('.wasm'));
        check(
          'wasm: binaries loaded from the bundle (nothing in public/, no CDN)',
          sel?.name === 'wasm' &&
            wasmFiles.length > 0 &&
            wasmFiles.every((f) => f.startsWith('/assets/')),
          `fetched ${wasmFiles.join(', ') || 'no .wasm'}`,
        );
      }
      const syncRead = run.console.find((l) => /synchronously reading data from GPU/i.test(l));
      if (backend === 'webgpu' || syncRead) {
        // tfjs-backend-webgpu warns on every dataSync()/arraySync(); in Chromium that read also
        // loses the device ("A valid external Instance reference no longer exists").
        check(
          `${backend}: no synchronous GPU read (dataSync) in the library`,
          !syncRead,
          syncRead ? `tfjs says: ${syncRead.replace(/^warning: /, '')}` : 'none',
        );
      }
      const n = run.result?.numTensors;
      if (n && n.after >= 0) {
        check(
          `${backend}: no tensors left behind`,
          n.after === n.before,
          `${n.before} before, ${n.after} after`,
        );
      }
      entry.console = run.console.filter((l) => !l.startsWith('log: ok')).slice(-20);
      report.backends[backend] = entry;
    }

    console.log(`\n--- README snippet (${elapsed()})`);
    const s = await runPage(browser, `${preview.url}snippet.html`);
    const sel = s.result?.selection;
    report.snippet = {
      selection: sel,
      error: s.error ?? s.result?.error,
      logs: s.result?.logs,
      network: s.network,
    };
    check(
      'README snippet runs in the browser',
      sel && !s.error && !s.result?.error,
      s.error ?? s.result?.error ?? `auto chose ${sel?.name}: ${sel?.reason}`,
    );
    if (sel) {
      const explained = sel.tried.every((t) => typeof t.error === 'string' && t.error.length > 0);
      check(
        'README snippet: auto did not land on cpu, or says why it skipped each backend',
        sel.name !== 'cpu' || (sel.tried.length > 0 && explained),
        sel.tried.map((t) => `${t.name}: ${t.error}`).join('; ') || 'nothing skipped',
      );
      if (sel.name === 'wasm') {
        const wasmFiles = (s.network?.files ?? []).filter((f) => f.endsWith('.wasm'));
        check(
          'README snippet: wasm started with no .wasm copied into public/ (Vite emitted it)',
          wasmFiles.length > 0 && wasmFiles.every((f) => f.startsWith('/assets/')),
          `fetched ${wasmFiles.join(', ') || 'no .wasm'}`,
        );
      }
    }
  } catch (error) {
    check('browser suite ran to the end', false, error.message);
  } finally {
    await browser?.close().catch(() => {});
    preview?.child.kill();
    if (args.keep || args.app) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const failed = checks.filter((c) => !c.ok).length;
  report.passed = checks.length - failed;
  report.failed = failed;
  report.seconds = (performance.now() - started) / 1000;
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(report, null, 2));
  console.log(
    '\n| backend | ms/step (median of 20) | generation tokens/s | first result ms | page s | kB transferred |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [b, e] of Object.entries(report.backends)) {
    const m = e.metrics;
    const f = (x, d = 0) => (x == null ? '—' : x.toFixed(d));
    console.log(
      `| ${b} | ${f(m.msPerStep, 1)} | ${f(m.tokensPerSecond, 1)} | ${f(m.firstResultMs)} | ${f(m.pageMs / 1000, 1)} | ${f(m.kBTransferred)} |`,
    );
  }
  console.log(`\nresult: ${args.out} (${elapsed()})`);
  console.log(`${report.passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

await main();
