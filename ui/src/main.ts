import { mount } from "svelte";

import "./app.css";
import "./components/parts/parts.css";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
mount(App, { target });
