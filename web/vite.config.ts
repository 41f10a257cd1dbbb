import { defineConfig } from 'vite';

// The pages are served by `baotong serve` from its web root at "/", assets under /assets/.
// `npx vite` serves them for development and forwards /api to a running server
// (BAOTONG_API, default http://127.0.0.1:8080).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': process.env.BAOTONG_API ?? 'http://127.0.0.1:8080',
    },
  },
});
