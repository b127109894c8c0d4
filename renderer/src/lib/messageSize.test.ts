import {describe, expect, it} from "vitest";
import {MAX_MESSAGE_CHARS, messageSizeProblem, worthCounting} from "./messageSize.js";

describe("messageSizeProblem", () => {
    it("lets through what may fit the context, and refuses what is far beyond it", () => {
        expect(messageSizeProblem("x".repeat(8000), 2048)).toBeNull();
        expect(messageSizeProblem("x".repeat(12_300), 2048)).toBe(
            "This message is about 3,075 tokens; the model's context holds 2,048. Shorten it, or load a model with a larger context."
        );
    });

    it("with the model's own count, refuses what does not fit, however the estimate reads it", () => {
        // 11,000 characters a small vocabulary reads as 4,003 tokens: the estimate (2,750) would let it through.
        expect(messageSizeProblem("x".repeat(11_000), 2048)).toBeNull();
        expect(messageSizeProblem("x".repeat(11_000), 2048, 4003)).toBe(
            "This message is 4,003 tokens with the chat's system prompt; the model's context holds 2,048. Shorten it, or load a model with a larger context."
        );
        // And lets through what fits, however long it looks.
        expect(messageSizeProblem("x".repeat(12_300), 2048, 2000)).toBeNull();
        expect(worthCounting("x".repeat(3000), 2048)).toBe(false);
        expect(worthCounting("x".repeat(3500), 2048)).toBe(true);
        expect(worthCounting("x".repeat(3500), null)).toBe(false);
    });

    it("refuses over 1 MB of text, whatever the context (or when it is not known)", () => {
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS))).toBeNull();
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS + 1))).toMatch(/^This message is 1,000,001 characters long/);
        expect(messageSizeProblem("x".repeat(MAX_MESSAGE_CHARS + 1), 1_000_000)).toMatch(/characters long/);
    });
});
