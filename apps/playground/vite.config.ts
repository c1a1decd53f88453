// The playground's whole Vite configuration. Workers are ES modules: @tformer/backend loads the
// optional tfjs backends with dynamic import(), which a classic (iife) worker bundle cannot split.
import { defineConfig } from 'vite';

export default defineConfig({
  worker: { format: 'es' },
  build: { chunkSizeWarningLimit: 4096 },
});
