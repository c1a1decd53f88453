/**
 * URLs of the three tfjs-backend-wasm binaries that the build copies into `dist/wasm/`, for
 * browsers. Each `new URL('./wasm/…', import.meta.url)` is written out literally so that bundlers
 * which understand the pattern (Vite, webpack 5, Rollup with a plugin) copy the file into the app
 * and rewrite the URL; esbuild does not (pass `wasmPaths` there). Computed at call time: in Node
 * nothing reads them (Node loads the installed package's own files).
 */
export function bundledWasmPaths(): Record<WasmBinary, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL('./wasm/tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL('./wasm/tfjs-backend-wasm-simd.wasm', import.meta.url)
      .href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(
      './wasm/tfjs-backend-wasm-threaded-simd.wasm',
      import.meta.url,
    ).href,
  };
}

/** The file names tfjs-backend-wasm 4.22 fetches (its `setWasmPaths` map keys). */
export const WASM_BINARIES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;
export type WasmBinary = (typeof WASM_BINARIES)[number];
