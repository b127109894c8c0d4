import {describe, expect, it} from "vitest";
import {formatBytes, formatClock, formatPercent} from "./format.js";

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
