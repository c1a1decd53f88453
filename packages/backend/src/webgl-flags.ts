// Its own module so that the browser test can read it without importing webgl.ts, which
// selectBackend loads on demand.

/**
 * tfjs flags set before the webgl backend starts, unless `webglFlags` says otherwise.
 * `WEBGL_USE_SHAPES_UNIFORMS`: shapes become shader uniforms instead of constants compiled into each
 * program, so a kernel compiles once per rank instead of once per shape. Measured in headless
 * Chromium 156 on a small decoder: generation with a growing KV cache went from 0.5–0.7 to 2.4
 * tokens/s on the first call, and the first training step took half as long.
 */
export const WEBGL_DEFAULT_FLAGS: Readonly<Record<string, boolean | number>> = {
  WEBGL_USE_SHAPES_UNIFORMS: true,
};
