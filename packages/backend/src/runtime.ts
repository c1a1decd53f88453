/** True in Node.js (and runtimes that present themselves as Node, such as Electron's main process). */
export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** True where a DOM-like `window` or a worker global exists: browsers, web workers. */
export function isBrowser(): boolean {
  const g = globalThis as { window?: unknown; importScripts?: unknown };
  return !isNode() && (typeof g.window !== 'undefined' || typeof g.importScripts === 'function');
}

/** `node 20.20.2`, `browser`, or `unknown`, for reports. */
export function runtimeName(): string {
  if (isNode()) return `node ${process.versions.node}`;
  return isBrowser() ? 'browser' : 'unknown';
}

/**
 * Loads a module by bare name at run time, hidden from bundlers' static analysis so that optional
 * peers (tfjs-node, webgpu) are never pulled into a browser bundle.
 */
export function importOptional<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/**
 * URL of a module beside this one (`./node.js`), for {@link importOptional}: written with a
 * variable so that bundlers neither bundle it nor copy it as an asset.
 */
export function siblingModule(file: string): string {
  return new URL(file, import.meta.url).href;
}

/** True when `code` is Node's "module not found" for `specifier` itself (not one of its imports). */
export function isMissingModule(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    (e.message ?? '').includes(`'${specifier}'`)
  );
}

/**
 * What browsers and bundlers throw when a dynamic `import()` of a package that is not installed
 * runs: the browser's own messages for a bare specifier nobody resolved or a module URL that did
 * not load (Chrome, Firefox, Safari), Vite's dev-server answer, webpack's stub.
 */
const BROWSER_MISSING_MODULE = [
  /Failed to fetch dynamically imported module/i, // Chrome, a module URL that did not load
  /Failed to resolve module specifier/i, // Chrome, a bare specifier left in the bundle
  /error loading dynamically imported module/i, // Firefox
  /was a bare specifier, but was not remapped/i, // Firefox
  /Importing a module script failed/i, // Safari
  /does not resolve to a valid URL/i, // Safari
  /Failed to resolve import .*Does the file exist\?/is, // Vite dev server
  /Could not resolve .*Is it installed\?/is, // Vite 8's dependency optimizer (rolldown) stub
  /Cannot find module/i, // webpack's stub for a module it could not resolve
];

/**
 * True when importing the optional peer `specifier` failed because it is not there: Node's
 * "module not found" for it, or, outside Node, any of the browser and bundler messages for an
 * import that could not be resolved or fetched (they rarely name the package). `browser` is for
 * tests.
 */
export function isMissingPeer(error: unknown, specifier: string, browser = !isNode()): boolean {
  if (isMissingModule(error, specifier)) return true;
  if (!browser) return false;
  const message = (error as { message?: string })?.message ?? String(error);
  return BROWSER_MISSING_MODULE.some((r) => r.test(message));
}

/**
 * The fix line for an optional peer that is not installed: the exact install command, pinned to
 * the version this package is built against (`4.22.0` for the tfjs packages).
 *
 * @example installHint('@tensorflow/tfjs-backend-webgl', '4.22.0')
 * // 'npm i @tensorflow/tfjs-backend-webgl@4.22.0   (pnpm add …, yarn add …)'
 */
export function installHint(pkg: string, version: string): string {
  const spec = `${pkg}@${version}`;
  return `npm i ${spec}   (or: pnpm add ${spec}, yarn add ${spec})`;
}

/**
 * Native libraries this process has loaded. libtensorflow (tfjs-node) segfaults when it is loaded
 * after Mesa's OpenGL driver (Dawn's `backend=opengl`) in the same process — measured here on
 * Mesa 22.3 / libtensorflow 2.21 — while the other order works; the starters use this to load them
 * in the working order or to refuse with a reason. `libtensorflow`, once loaded, holds the settings
 * it loaded with (it reads `TF_ENABLE_ONEDNN_OPTS` and `TF_NUM_INTRAOP_THREADS` once, as it loads).
 */
export const loadedNative: {
  libtensorflow?: { onednn: boolean; intraOpThreads?: number };
  mesaOpenGl: boolean;
} = {
  mesaOpenGl: false,
};
