import { describe, expect, it } from "vitest";

import { wordsFor } from "./errors";

const SENT = "the server's own sentence";

describe("errors in words", () => {
  it("tells the buyer to upload again when the server lost a file's content", () => {
    const words = wordsFor("document.content_missing", SENT);
    expect(words).not.toBe(SENT);
    expect(words).toMatch(/upload it again/);
  });

  it("says a passing refusal changed nothing and can be tried again", () => {
    for (const code of [
      "document.store_unavailable",
      "server.busy",
      "server.not_ready",
      "order.concurrent_change",
    ]) {
      const words = wordsFor(code, SENT);
      expect(words, code).not.toBe(SENT);
      expect(words, code).toMatch(/[Tt]ry again/);
    }
  });

  it("falls back to the server's sentence for a code it does not know", () => {
    expect(wordsFor("document.from_a_newer_server", "the file is odd.")).toBe("The file is odd.");
  });
});
