import { defineConfig } from 'vite';

// Preact JSX without a framework plugin: Vite's transformer (oxc) compiles JSX with
// Preact's automatic runtime. The app is served at `/` by the web function under a strict
// CSP (script-src 'self'; style-src 'self'), so nothing may be inlined into index.html.
export default defineConfig({
  base: '/',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    // `make dev` serves the API on 127.0.0.1:9000; proxy it for `npm run dev`.
    proxy: { '/v1': 'http://127.0.0.1:9000' },
  },
});
