// Exports: what the app says once a file is saved. The files themselves are written in
// Rust (trade_client::exports) at a path chosen in the native save dialog.

import type { Exported } from "./bindings/Exported";
import type { ExportFormat } from "./bindings/ExportFormat";
import { count } from "./format";

/** A menu entry of an Export control: what it exports, in which format. */
export type ExportChoice<K extends string> = { kind: K; format: ExportFormat; label: string };

/** "Saved 12 orders to orders-2026-12-04.xlsx": the file's name only, never its folder. */
export function savedText(done: Exported, one: string, many: string): string {
  const what = done.rows === 1 ? one : many;
  return `Saved ${count(done.rows)} ${what} to ${done.file_name}`;
}
