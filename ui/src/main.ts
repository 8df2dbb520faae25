import { mount } from "svelte";

import "./app.css";
import "./components/parts/parts.css";
import App from "./App.svelte";

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
