import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {drawIntervalMs, frameBatched, slowestMs, steadyChars} from "./frameBatched.js";

describe("frameBatched", () => {
    beforeEach(() => {
        vi.useFakeTimers({toFake: ["requestAnimationFrame", "cancelAnimationFrame", "setTimeout", "clearTimeout", "performance"]});
    });
    afterEach(() => {
        vi.useRealTimers();
    });

    it("hands a short answer's pieces on once a frame, and a long one's less often, at most every slowestMs", () => {
        const shown: string[] = [];
        const batch = frameBatched((text) => shown.push(text));
        batch.push("Once ");
        batch.push("upon");
        expect(shown).toEqual([]);
        vi.advanceTimersByTime(20);
        expect(shown).toEqual(["Once upon"]);
        batch.push(" a");
        vi.advanceTimersByTime(20);
        expect(shown).toEqual(["Once upon", " a"]);

        // past steadyChars the next draw waits for its interval, frames or not
        batch.push("x".repeat(6_000));
        vi.advanceTimersByTime(20);
        expect(shown.length).toBe(3);
        const interval = drawIntervalMs(6_011);
        expect(interval).toBeGreaterThan(50);
        batch.push("y");
        vi.advanceTimersByTime(interval - 30);
        expect(shown.length).toBe(3);
        vi.advanceTimersByTime(40);
        expect(shown.at(-1)).toBe("y");
        expect(drawIntervalMs(steadyChars)).toBe(0);
        expect(drawIntervalMs(1_000_000)).toBe(slowestMs);
    });

    it("flush hands on what waits at once, and nothing twice", () => {
        const shown: string[] = [];
        const batch = frameBatched((text) => shown.push(text));
        batch.push("x".repeat(5_000));
        batch.flush();
        batch.push("end");
        batch.flush();
        vi.advanceTimersByTime(1_000);
        expect(shown).toEqual(["x".repeat(5_000), "end"]);
    });
});
