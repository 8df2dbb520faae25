import { mount } from "svelte";

import "./app.css";
import "./components/parts/parts.css";
import App from "./App.svelte";

// A user-timing mark of a start, read by the desktop bench: Tauri's isolation frame is
// ready, so IPC can leave the page (every call waits for this). Its script tells the
// page so with this message; one sent before this script ran leaves no mark.
window.addEventListener("message", function ready(e) {
  if (e.data !== "__TAURI_ISOLATION_READY__") return;
  performance.mark("ipc-ready");
  window.removeEventListener("message", ready);
});

// The script is `async` (vite.config.ts): it may run before the page's body is read.
function start() {
  const target = document.getElementById("app");
  if (!target) throw new Error("no #app element");
  mount(App, { target });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
