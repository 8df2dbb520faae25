// The launch, asked for as the first of the page's modules is evaluated: its answer (the
// session resumed while the page loaded, with the first screen's data) travels while
// the rest of the script is evaluated and the app mounts (a start's time to the usable
// inbox: desktop bench). main.ts imports this module first.

import * as ipc from "./ipc";

// A user-timing mark of a start, read by the desktop bench (tests/benches/desktop.rs).
performance.mark("launch-asked");
export const launched = ipc.launch();
/** Whether `launched` has settled. */
export let launchAnswered = false;
// Awaited once the app mounts; a failure is shown then, not reported as unhandled now.
const settled = () => (launchAnswered = true);
launched.then(settled, settled);
