import {describe, expect, it} from "vitest";
import {MAX_MESSAGE_CHARS, messageSizeProblem} from "./messageSize.js";

describe("messageSizeProblem", () => {
    it("lets through what may fit the context, and refuses what is far beyond it", () => {
        expect(messageSizeProblem("x".repeat(8000), 2048)).toBeNull();
        expect(messageSizeProblem("x".repeat(12_300), 2048)).toBe(
            "This message is about 3,075 tokens; the model's context holds 2,048. Shorten it, or load a model with a larger context."
        );
    });

    it("refuses over 1 MB of text, whatever the context (or when it is not known)", () => {
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS))).toBeNull();
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS + 1))).toMatch(/^This message is 1,000,001 characters long/);
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS + 1), 1_000_000)).toMatch(/characters long/);
    });
});
