import { describe, expect, it } from "vitest";

import type { LocalPage } from "./bindings/LocalPage";
import { KEEP, PAGE, PagedList } from "./paged.svelte";

/** A cache of `n` numbered items, read in keyset pages after a cursor. */
function cache(n: number) {
  const items = Array.from({ length: n }, (_, i) => i);
  const reads: (string | null)[] = [];
  const fetch = async (after: string | null, limit: number): Promise<LocalPage<number>> => {
    reads.push(after);
    const start = after === null ? 0 : Number(after) + 1;
    const page = items.slice(start, start + limit);
    const last = page[page.length - 1];
    return { items: page, next: start + limit < items.length ? String(last) : null };
  };
  return { items, reads, fetch };
}

describe("the paged list the inbox scrolls", () => {
  it("reads the first page and one page of read-ahead", async () => {
    const c = cache(1000);
    const list = new PagedList(c.fetch);
    await list.show(0, 30);
    expect(list.loaded).toBe(true);
    expect(list.count).toBe(PAGE);
    expect(list.get(0)).toBe(0);
    expect(list.hasMore).toBe(true);
    await list.show(150, 190);
    expect(list.count).toBe(2 * PAGE);
    expect(list.get(PAGE + 5)).toBe(PAGE + 5);
  });

  it("shows a first page read before it without reading it again, and goes on after it", async () => {
    const c = cache(1000);
    const first = await c.fetch(null, PAGE);
    c.reads.length = 0;
    const list = new PagedList(c.fetch, first);
    expect(list.loaded).toBe(true);
    expect(list.count).toBe(PAGE);
    expect(list.get(PAGE - 1)).toBe(PAGE - 1);
    await list.show(0, 30);
    expect(c.reads).toEqual([]);
    await list.show(150, 190);
    expect(list.get(PAGE + 5)).toBe(PAGE + 5);
    expect(c.reads).toEqual([String(PAGE - 1)]);
    // A change reads it again like any page.
    c.items[3] = -3;
    await list.invalidate();
    expect(list.get(3)).toBe(-3);
  });

  it("says an empty cache is empty once read", async () => {
    const list = new PagedList(cache(0).fetch);
    expect(list.hasMore).toBe(true);
    await list.show(0, 30);
    expect(list.loaded).toBe(true);
    expect(list.count).toBe(0);
    expect(list.hasMore).toBe(false);
  });

  it("re-reads only what is on screen when the cache changes, from its own cursor", async () => {
    const c = cache(1000);
    const list = new PagedList(c.fetch);
    await list.show(0, 30);
    await list.show(PAGE + 10, PAGE + 40);
    c.items[PAGE + 10] = -1;
    c.reads.length = 0;
    // A burst of changes costs one re-read.
    await Promise.all([list.invalidate(), list.invalidate(), list.invalidate()]);
    expect(list.get(PAGE + 10)).toBe(-1);
    // Only the page on screen, from its own cursor (not everything above it).
    expect(c.reads).toEqual([String(PAGE - 1)]);
    // The page above is read again when it comes back into view.
    c.items[5] = -5;
    await list.show(0, 30);
    expect(list.get(5)).toBe(-5);
    expect(c.reads).toEqual([String(PAGE - 1), null]);
  });

  it("holds a bounded number of items however far it is scrolled, and reads them again", async () => {
    const c = cache(100 * PAGE);
    const list = new PagedList(c.fetch);
    const rows = 30;
    let most = 0;
    for (let top = 0; top < 60 * PAGE; top += rows) {
      await list.show(top, top + rows);
      expect(list.get(top)).toBe(top);
      expect(list.get(top + rows - 1)).toBe(top + rows - 1);
      most = Math.max(most, list.held);
    }
    // The view's pages, the read-ahead, KEEP on each side, and the last page.
    expect(most).toBeLessThanOrEqual((2 * KEEP + 3) * PAGE);
    // The scrollbar still spans everything read so far.
    expect(list.count).toBeGreaterThanOrEqual(60 * PAGE);
    // Far above the view: let go, and read again (from its own cursor) when scrolled back.
    expect(list.get(0)).toBeUndefined();
    c.reads.length = 0;
    await list.show(PAGE + 5, PAGE + 35);
    expect(list.get(PAGE + 5)).toBe(PAGE + 5);
    expect(c.reads).toEqual([String(PAGE - 1)]);
    // The pages read on the way down are still there to scroll back into.
    await list.show(59 * PAGE, 59 * PAGE + 30);
    expect(list.get(59 * PAGE)).toBe(59 * PAGE);
    expect(list.count).toBeGreaterThanOrEqual(60 * PAGE);
  });

  it("keeps the error of a failed read and recovers on the next one", async () => {
    let fail = true;
    const c = cache(10);
    const list = new PagedList<number>(async (after, limit) => {
      if (fail) throw new Error("the cache is locked");
      return c.fetch(after, limit);
    });
    await list.show(0, 10);
    expect((list.error as Error).message).toBe("the cache is locked");
    fail = false;
    await list.invalidate();
    expect(list.error).toBeNull();
    expect(list.count).toBe(10);
  });
});
