// The inbox's search: what is typed, the hits for it (asked for after a short pause;
// only the answer to the latest question is kept), the hit the keyboard is on, and
// opening a hit's thread. One per inbox, owned by it.

import type { SearchCoverage } from "../../lib/bindings/SearchCoverage";
import type { SearchHit } from "../../lib/bindings/SearchHit";
import * as ipc from "../../lib/ipc";
import { openThread } from "../../lib/app.svelte";
import { describe } from "../../lib/errors";

/** How long typing must pause before the search runs. */
const PAUSE_MS = 120;

export class InboxSearch {
  query = $state("");
  hits = $state.raw<SearchHit[]>([]);
  /** How much of the cache the search could look at, while records wait to be indexed. */
  indexing = $state.raw<SearchCoverage | null>(null);
  /** The query the hits are for. */
  searched = $state("");
  error = $state<string | null>(null);
  /** The hit the keyboard is on. */
  active = $state(0);
  /** Why the last hit opened could not be shown. */
  openError = $state<string | null>(null);
  /** Whether search results replace the list. */
  readonly searching = $derived(this.query.trim() !== "");
  /** Whether the hits shown are for an older query than the one typed. */
  readonly pending = $derived(this.searched !== this.query.trim());

  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  async run(q: string) {
    const seq = ++this.#seq;
    try {
      const found = await ipc.search(q);
      if (seq !== this.#seq) return;
      // Orders are found too, but this version has no order screen to open them in.
      this.hits = found.hits.filter((h) => h.kind === "inquiry" || h.kind === "message");
      this.indexing = found.indexing;
      this.searched = q;
      this.error = null;
      if (this.active >= this.hits.length) this.active = 0;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = describe(e);
      this.hits = [];
      this.indexing = null;
      this.searched = q;
    }
  }

  /** The query was edited (it is already in `query`). */
  input() {
    clearTimeout(this.#timer);
    const q = this.query.trim();
    this.active = 0;
    if (!q) {
      this.#seq++;
      this.hits = [];
      this.searched = "";
      this.error = null;
      return;
    }
    this.#timer = setTimeout(() => this.run(q), PAUSE_MS);
  }

  clear() {
    clearTimeout(this.#timer);
    this.#seq++;
    this.query = "";
    this.hits = [];
    this.indexing = null;
    this.searched = "";
    this.error = null;
    this.openError = null;
    this.active = 0;
  }

  async open(hit: SearchHit) {
    this.openError = null;
    try {
      if (hit.inquiry === null) throw new Error("no thread");
      if (hit.kind === "inquiry") openThread(hit.inquiry);
      else openThread(hit.inquiry, hit.id);
    } catch (e) {
      this.openError = `This message could not be opened. ${describe(e)}`;
    }
  }
}
