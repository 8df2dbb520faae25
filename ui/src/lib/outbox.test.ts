import { describe, expect, it } from "vitest";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Mutation } from "./bindings/Mutation";
import { describeEntry } from "./outbox";

function entry(mutation: Mutation): OutboxEntry {
  return { mutation } as unknown as OutboxEntry;
}

describe("describeEntry", () => {
  it("names an order step in the words of its button", () => {
    expect(describeEntry(entry({ op: "order_step", order: "o", action: { action: "confirm", version: 2 } } as unknown as Mutation))).toBe(
      "Confirm Order",
    );
    expect(
      describeEntry(entry({ op: "order_step", order: "o", action: { action: "dispute", step: "escalate" } } as unknown as Mutation)),
    ).toBe("Escalate dispute");
  });

  it("quotes a message, clipped to one line", () => {
    const body = "Hello\n\nthere " + "x".repeat(100);
    const words = describeEntry(entry({ op: "send_message", body } as unknown as Mutation));
    expect(words.startsWith("Message: “Hello there x")).toBe(true);
    expect(words.length).toBeLessThan(75);
    expect(words).toContain("…");
  });
});
