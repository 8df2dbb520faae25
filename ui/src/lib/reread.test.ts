import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FIRST_SYNC_REREAD_MS, REREAD_MS, pacedRereads } from "./reread";

describe("pacedRereads", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("reads changes together, once, after the short delay while the cache is current", () => {
    const reread = vi.fn();
    const r = pacedRereads(reread);
    r.shown(false);
    r.changed(false);
    r.changed(false);
    vi.advanceTimersByTime(REREAD_MS - 1);
    expect(reread).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(reread).toHaveBeenCalledTimes(1);
  });

  it("reads once a second during a first sync under a screen that shows rows", () => {
    const reread = vi.fn();
    const r = pacedRereads(reread);
    r.shown(false);
    r.changed(true);
    vi.advanceTimersByTime(FIRST_SYNC_REREAD_MS - 1);
    expect(reread).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(reread).toHaveBeenCalledTimes(1);
  });

  it("shows a first sign-in's first pages at once, then paces the rest of the sync", () => {
    const reread = vi.fn();
    const r = pacedRereads(reread);
    // The first screen was read from an empty cache: the sync's first pages land on it.
    r.shown(true);
    r.changed(true);
    vi.advanceTimersByTime(REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(1);
    // The inbox now shows rows: the next pages land below them.
    r.changed(true);
    vi.advanceTimersByTime(REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(FIRST_SYNC_REREAD_MS - REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(2);
  });

  it("reads a first sync's change at the short delay while nothing is shown yet", () => {
    const reread = vi.fn();
    const r = pacedRereads(reread);
    r.changed(true);
    vi.advanceTimersByTime(REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(1);
  });

  it("brings a paced re-read forward when the first screen turns out empty", () => {
    const reread = vi.fn();
    const r = pacedRereads(reread);
    r.shown(false);
    r.changed(true);
    // The first screen is read again (a sign-in after a session ended): empty.
    r.shown(true);
    vi.advanceTimersByTime(REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(FIRST_SYNC_REREAD_MS);
    expect(reread).toHaveBeenCalledTimes(1);
  });
});
