import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  // Tauri serves the built files itself; web mode serves them from the same folder.
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  clearScreen: false,
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
