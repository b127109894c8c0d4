import {describe, expect, it} from "vitest";
import {timings, usage} from "../testing/fakes.js";
import {formatMs, formatRate, statsFromResult} from "./stats.js";

describe("statsFromResult", () => {
    it("uses usage and server timings", () => {
        expect(
            statsFromResult(
                {
                    content: "x",
                    finishReason: "stop",
                    usage,
                    timings,
                    kvshare: {mode: "prefix", prompt_tokens: 12, reused_tokens: 4, computed_tokens: 8, recomputed_tokens: 0}
                },
                {firstTextMs: 99, elapsedMs: 120.4}
            )
        ).toEqual({
            finishReason: "stop",
            elapsedMs: 120,
            promptTokens: 12,
            completionTokens: 3,
            cachedTokens: 4,
            tokensPerSecond: 500,
            ttftMs: 3.5,
            kvMode: "prefix"
        });
    });

    it("falls back to the page's own TTFT for aborted answers", () => {
        expect(statsFromResult({content: "x", finishReason: "aborted"}, {firstTextMs: 42.2, elapsedMs: 100})).toEqual({
            finishReason: "aborted",
            elapsedMs: 100,
            ttftMs: 42
        });
    });
});

describe("format", () => {
    it("formats durations and rates", () => {
        expect(formatMs(3.5)).toBe("4 ms");
        expect(formatMs(1500)).toBe("1.50 s");
        expect(formatRate(512.4)).toBe("512 tok/s");
        expect(formatRate(12.34)).toBe("12.3 tok/s");
    });
});
