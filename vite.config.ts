import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  base: './',
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // Monaco is large by nature; it is loaded lazily, so the first load stays small.
    chunkSizeWarningLimit: 4096,
    // Two pages: the playground and the standalone profiler that `npm run bench` drives.
    rolldownOptions: { input: { main: page('index.html'), bench: page('bench.html') } },
  },
});
