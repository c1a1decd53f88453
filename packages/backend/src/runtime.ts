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
 * Native libraries this process has loaded. libtensorflow (tfjs-node) segfaults when it is loaded
 * after Mesa's OpenGL driver (Dawn's `backend=opengl`) in the same process — measured here on
 * Mesa 22.3 / libtensorflow 2.21 — while the other order works; the starters use this to load them
 * in the working order or to refuse with a reason.
 */
export const loadedNative = { libtensorflow: false, mesaOpenGl: false };
