import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Built into static files that the desktop app embeds (no dev server, no remote code).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // Vitest reads the repository's README (src/lib/shortcuts.test.ts compares its shortcut table with
  // the app's); nothing serves files, the app embeds the build.
  server: { fs: { allow: [".."] } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    // Everything local: the CSP forbids inline scripts and remote code.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
