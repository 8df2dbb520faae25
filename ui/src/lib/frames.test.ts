import { afterEach, describe, expect, it, vi } from "vitest";

import { afterNextFrame } from "./frames";

describe("afterNextFrame", () => {
  let frames: Array<() => void> = [];
  vi.stubGlobal("requestAnimationFrame", (cb: () => void) => frames.push(cb));
  vi.stubGlobal("cancelAnimationFrame", (id: number) => {
    frames[id - 1] = () => {};
  });
  afterEach(() => {
    frames = [];
    vi.useRealTimers();
  });

  it("runs only after the next frame has begun and its task comes", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const f = vi.fn();
    afterNextFrame(f);
    vi.runAllTimers();
    expect(f).not.toHaveBeenCalled();
    frames.forEach((cb) => cb());
    expect(f).not.toHaveBeenCalled();
    vi.runAllTimers();
    expect(f).toHaveBeenCalledTimes(1);
  });

  it("does not run once cancelled, before or after the frame began", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const before = vi.fn();
    afterNextFrame(before)();
    const after = vi.fn();
    const cancel = afterNextFrame(after);
    frames.forEach((cb) => cb());
    cancel();
    vi.runAllTimers();
    expect(before).not.toHaveBeenCalled();
    expect(after).not.toHaveBeenCalled();
  });
});
