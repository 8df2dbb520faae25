// A long list read from the local cache in keyset pages, for the virtualized inbox.
//
// Every page but the last holds exactly PAGE items, so item i is always in page
// floor(i / PAGE). Pages load on demand as the view scrolls towards them. When the cache
// changes, every page becomes stale: the pages on screen are read again at once (from
// their own cursor, so a change far up does not cost a read of everything above), the
// pages below them are dropped and read again when scrolled to, and the pages above are
// read again when they come back into view.
//
// Memory stays bounded however far the list is scrolled: the items of pages more than
// KEEP pages away from the view are let go (the page keeps its cursors and counts as
// full), and read again from their cursor when scrolled back to.

import type { LocalPage } from "./bindings/LocalPage";
import { PAGE } from "./bindings/rules";

// Rust's page size (the launch reads the inbox's first page with it).
export { PAGE };
/** Pages kept loaded on each side of the view. */
export const KEEP = 2;

type Page<T> = {
  /** The cursor this page was read after (null: the first page). */
  after: string | null;
  items: T[];
  next: string | null;
  stale: boolean;
};

export type Fetch<T> = (after: string | null, limit: number) => Promise<LocalPage<T>>;

export class PagedList<T> {
  #pages = $state.raw<Page<T>[]>([]);
  /** True once the first page has been read (an empty list is then really empty). */
  loaded = $state(false);
  error = $state<unknown>(null);
  #fetch: Fetch<T>;
  #generation = 0;
  #queue: Promise<void> = Promise.resolve();
  #wanted: [number, number] = [0, PAGE];
  #invalidation: Promise<void> | null = null;

  /** `first`: the first page, already read (`after` null), if the caller has it. */
  constructor(fetch: Fetch<T>, first?: LocalPage<T>) {
    this.#fetch = fetch;
    if (first) {
      this.#pages = [{ after: null, items: first.items, next: first.next, stale: false }];
      this.loaded = true;
    }
  }

  /** How many items are loaded (a contiguous run from the top). */
  get count(): number {
    const pages = this.#pages;
    if (pages.length === 0) return 0;
    return (pages.length - 1) * PAGE + pages[pages.length - 1].items.length;
  }

  /** Whether more items follow the loaded ones. */
  get hasMore(): boolean {
    const pages = this.#pages;
    if (pages.length === 0) return !this.loaded;
    return pages[pages.length - 1].next !== null;
  }

  get(i: number): T | undefined {
    const page = this.#pages[Math.floor(i / PAGE)];
    return page?.items[i % PAGE];
  }

  /** Index of the first loaded item matching `pred`, or -1. */
  findIndex(pred: (item: T) => boolean): number {
    const pages = this.#pages;
    for (let p = 0; p < pages.length; p++) {
      const j = pages[p].items.findIndex(pred);
      if (j >= 0) return p * PAGE + j;
    }
    return -1;
  }

  /** Starts over (e.g. another tab): forgets everything and reads the first pages. */
  reset(fetch?: Fetch<T>) {
    if (fetch) this.#fetch = fetch;
    this.#generation++;
    this.#pages = [];
    this.loaded = false;
    this.error = null;
    this.#queue = Promise.resolve();
    this.#invalidation = null;
    return this.show(0, this.#wanted[1] - this.#wanted[0]);
  }

  /** The view shows items [start, end): make sure they (and a page beyond) are loaded. */
  show(start: number, end: number): Promise<void> {
    this.#wanted = [start, end];
    return this.#enqueue(() => this.#ensure());
  }

  /** The cache changed: re-read what is on screen, drop what is below. */
  invalidate(): Promise<void> {
    // Changes often come in bursts (a sync applies page after page): one re-read that
    // has not started yet covers them all.
    if (this.#invalidation) return this.#invalidation;
    const gen = this.#generation;
    this.#invalidation = this.#enqueue(async () => {
      this.#invalidation = null;
      if (gen !== this.#generation) return;
      const lastShown = Math.floor(Math.max(this.#wanted[1] - 1, 0) / PAGE);
      this.#pages = this.#pages
        .slice(0, lastShown + 1)
        .map((p) => ({ ...p, stale: true }));
      await this.#ensure();
    });
    return this.#invalidation;
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(job).catch((e) => {
      this.error = e;
    });
    this.#queue = run;
    return run;
  }

  async #ensure() {
    const gen = this.#generation;
    const [start, end] = this.#wanted;
    const first = Math.floor(start / PAGE);
    // One page of read-ahead below the last visible row, so scrolling rarely waits.
    const last = Math.floor((end + PAGE / 2) / PAGE);
    for (let p = first; p <= last; p++) {
      const pages = this.#pages;
      if (p < pages.length) {
        if (!pages[p].stale) continue;
        await this.#read(p, pages[p].after, gen);
      } else if (p === pages.length) {
        if (p > 0 && pages[p - 1].next === null) break;
        await this.#read(p, p === 0 ? null : pages[p - 1].next, gen);
      } else {
        // Pages between the loaded ones and the view: read them in order first.
        p = pages.length - 1;
      }
      if (gen !== this.#generation) return;
      this.loaded = true;
      this.error = null;
    }
    this.#letGo(first, last);
  }

  /** Lets go of the items of pages more than KEEP pages from [first, last] (not of the
   *  last page: its length is the list's end). */
  #letGo(first: number, last: number) {
    const pages = this.#pages;
    const far = (p: number) =>
      (p < first - KEEP || p > last + KEEP) && p < pages.length - 1 && pages[p].items.length > 0;
    if (!pages.some((_, p) => far(p))) return;
    this.#pages = pages.map((page, p) => (far(p) ? { ...page, items: [], stale: true } : page));
  }

  /** How many items are held in memory (for the tests). */
  get held(): number {
    return this.#pages.reduce((n, p) => n + p.items.length, 0);
  }

  async #read(p: number, after: string | null, gen: number) {
    const got = await this.#fetch(after, PAGE);
    if (gen !== this.#generation) return;
    const pages = this.#pages.slice(0, p);
    const page: Page<T> = { after, items: got.items, next: got.next, stale: false };
    pages.push(page);
    // Keep the pages below only while they still follow on from this one.
    const old = this.#pages;
    if (got.next !== null && got.items.length === PAGE) {
      for (let q = p + 1; q < old.length; q++) {
        if (q === p + 1 && old[q].after !== got.next) {
          break;
        }
        pages.push(old[q]);
      }
    }
    this.#pages = pages;
  }
}
