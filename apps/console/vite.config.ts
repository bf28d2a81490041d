import { defineConfig } from 'vite';

/**
 * The console is served by the server at /console/ (apps/server/src/http/console.ts), so every asset
 * URL starts there. Preact's automatic JSX runtime; no inline scripts or styles, so the page runs
 * under a Content-Security-Policy of 'self' only.
 */
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Small assets stay files (not data: URLs) so the policy needs no exception for them.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
});
