// tfjs-core's ESM build (which registers gradients) uses extensionless relative imports that plain
// Node rejects. This resolve hook retries such specifiers with `.js` and `/index.js`, so the
// bench runs under tsx in plain Node. Bench-only: tests run under vite, which resolves them.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const code = error?.code;
    if (
      !specifier.startsWith('.') ||
      (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT')
    ) {
      throw error;
    }
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await next(specifier + suffix, context);
      } catch {}
    }
    throw error;
  }
}
