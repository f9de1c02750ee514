import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // Monaco is large by nature; it is loaded lazily, so the first load stays small.
    chunkSizeWarningLimit: 4096,
  },
});
