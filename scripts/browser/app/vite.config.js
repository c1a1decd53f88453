// The app's whole Vite configuration: two pages, nothing copied into public/, no plugins.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    rollupOptions: { input: { main: 'index.html', snippet: 'snippet.html' } },
  },
});
