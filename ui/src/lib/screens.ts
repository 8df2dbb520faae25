// The screens loaded when first shown (components/parts/Lazy.svelte), each its own
// script and stylesheet: a start compiles and styles only what the inbox needs. Asked
// again, a loader answers with the module already in.

export const screens = {
  orders: () => import("../components/orders/Orders.svelte"),
  compare: () => import("../components/compare/Compare.svelte"),
  settings: () => import("../components/Settings.svelte"),
  help: () => import("../components/Help.svelte"),
  /** The chat of one inquiry: a start shows the inbox with none open. */
  thread: () => import("../components/Thread.svelte"),
};
