import { defineConfig } from "vite";

// The windows are served by Tauri from the bundled dist/ (custom protocol), never from
// a dev server, so only the production build matters here.
export default defineConfig({
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ on Linux and current WebView2/WKWebView all run ES2022.
    target: "es2022",
    // Inlined assets would become data: URLs in script-built markup; keep the CSP
    // story simple by always emitting files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      // One page per kind of window: the timeline, and an incident's detail (paths
      // relative to the project root).
      input: { timeline: "index.html", detail: "detail.html" },
    },
  },
});
