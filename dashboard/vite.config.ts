import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard page: `vite build --config dashboard/vite.config.ts` (part of `npm run build`)
 * writes it to dist/dashboard/, which the server serves at /dashboard (DASHBOARD_DIR).
 * `--outDir` puts it elsewhere (the browser test builds into a temporary directory).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Asset URLs are absolute under /dashboard/, so the page works at /dashboard and /dashboard/.
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
