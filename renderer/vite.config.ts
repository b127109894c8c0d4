import {fileURLToPath} from "node:url";
import {defineConfig} from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/** Builds the renderer to dist/renderer; base "./" so the same files load from file:// (Electron) and from `serve`. */
export default defineConfig({
    root,
    base: "./",
    oxc: {jsx: {runtime: "automatic"}},
    build: {
        outDir: fileURLToPath(new URL("../dist/renderer", import.meta.url)),
        emptyOutDir: true,
        target: "es2022",
        // No inline scripts or modulepreload polyfill: the page runs under a strict CSP.
        modulePreload: {polyfill: false},
        assetsInlineLimit: 0,
        sourcemap: true,
        // React, chart.js and marked in one chunk: fine for a local app.
        chunkSizeWarningLimit: 900
    }
});
