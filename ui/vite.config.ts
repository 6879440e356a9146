import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  // Tauri serves the built files itself; web mode serves them from the same folder.
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  clearScreen: false,
  // Browser tests drive the real web mode: they need `target/debug/switchboard` (cargo builds it
  // in `cargo xtask test` before the UI's tests run).
  test: { environment: 'node', include: ['src/**/*.test.ts', 'tests/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000,
    // One file at a time: each browser or desktop test runs its own servers, browser or app.
    fileParallelism: false },
});
