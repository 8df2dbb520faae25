import { defineConfig, type Plugin } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

/** The app's script is `async`: the page's DOMContentLoaded does not wait for it to be
 *  read and compiled. Tauri makes its isolation frame, through which every IPC call
 *  passes, at DOMContentLoaded: the frame then loads while the script is compiled, and
 *  the first call (`launch`) is answered that much sooner (desktop bench). `main.ts`
 *  waits for the page's body when it runs first. */
function asyncEntry(): Plugin {
  const tag = '<script type="module" crossorigin';
  return {
    name: "async-entry",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html) {
        if (!html.includes(tag)) throw new Error(`no ${tag} in index.html`);
        return html.replace(tag, '<script type="module" async crossorigin');
      },
    },
  };
}

// Built into static files that the desktop app embeds (no dev server, no remote code).
export default defineConfig({
  plugins: [svelte(), asyncEntry()],
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
