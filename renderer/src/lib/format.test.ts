import {describe, expect, it} from "vitest";
import {counted, formatBytes, formatClock, formatPercent, formatSpan} from "./format.js";

describe("format", () => {
    it("formats bytes, shares and clock labels", () => {
        expect(formatBytes(512)).toBe("512 B");
        expect(formatBytes(1536)).toBe("1.5 KiB");
        expect(formatBytes(2 * 1024 ** 3)).toBe("2.0 GiB");
        expect(formatPercent(0.5)).toBe("50%");
        expect(formatPercent(0.0042)).toBe("0.42%");
        expect(formatClock(new Date(2024, 0, 1, 9, 5, 7).getTime(), true)).toBe("09:05:07");
        expect(formatClock(new Date(2024, 0, 1, 9, 5, 7).getTime(), false)).toBe("09:05");
    });
});

describe("formatSpan", () => {
    it("names a span in its largest unit", () => {
        expect(formatSpan(10_000)).toBe("10 s");
        expect(formatSpan(120_000)).toBe("2 min");
        expect(formatSpan(90_000)).toBe("1.5 min");
        expect(formatSpan(3_600_000)).toBe("1 h");
        expect(formatSpan(86_400_000)).toBe("1 day");
        expect(formatSpan(3 * 86_400_000)).toBe("3 days");
        expect(formatSpan(500)).toBe("500 ms");
    });
});

describe("counted", () => {
    it("says one in the singular and any other count in the plural", () => {
        expect([counted(1, "thread"), counted(4, "thread"), counted(0, "sequence"), counted(1, "query", "queries"), counted(2, "query", "queries")]).toEqual([
            "1 thread",
            "4 threads",
            "0 sequences",
            "1 query",
            "2 queries"
        ]);
    });
});
