import { describe, expect, it } from "vitest";

import type { LocalPage } from "./bindings/LocalPage";
import { PAGE, PagedList } from "./paged.svelte";

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
