import {describe, expect, it} from "vitest";
import {mergeRanges, selectRecompute, summariseReuse} from "./index.js";
import {alignTokens} from "../align/index.js";
import type {KeptRun, PositionRange} from "../../kv/index.js";
import {applyRandomEdits, seededRandom, storyTokens, tinyStories, WordTokenizer} from "../../../test/support/testData.js";

const covers = (ranges: readonly PositionRange[], p: number): boolean => ranges.some((r) => r.start <= p && p < r.end);

describe("selectRecompute", () => {
    it("identity: only the last token is computed", () => {
        const plan = selectRecompute([{donorStart: 0, targetStart: 0, length: 50}], 50);
        expect(plan).toEqual({
            ranges: [{start: 49, end: 50}],
            newTokens: 0,
            recomputedTokens: 1,
            reusedTokens: 49,
            // The whole target is an exact prefix of the donor: nothing can deviate, no budget.
            budget: 0,
            boundaryRuns: 0,
            policy: "boundary",
            decodeQueue: [],
            commonPrefix: 50
        });
    });

    it("no donor: everything is new", () => {
        expect(selectRecompute([], 30)).toMatchObject({ranges: [{start: 0, end: 30}], newTokens: 30, recomputedTokens: 0, reusedTokens: 0});
        expect(selectRecompute([], 0).ranges).toEqual([]);
    });

    it("an insert in the middle: the inserted tokens plus a window right after them", () => {
        // donor 40 tokens; target = donor[0,20) + 3 new + donor[20,40)
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 20},
            {donorStart: 20, targetStart: 23, length: 20}
        ];
        const plan = selectRecompute(runs, 43);
        expect(plan.budget).toBe(3); // ⌊0.15 × 20⌋: the exact prefix's 20 cannot deviate and are not counted
        expect(plan.ranges).toEqual([
            {start: 20, end: 26},
            {start: 42, end: 43}
        ]);
        expect(plan).toMatchObject({newTokens: 3, recomputedTokens: 4, reusedTokens: 36, boundaryRuns: 1});
    });

    it("budget 0 computes only new tokens and the last one (KVShare v1)", () => {
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 20},
            {donorStart: 20, targetStart: 23, length: 20}
        ];
        expect(selectRecompute(runs, 43, {budgetFraction: 0}).ranges).toEqual([
            {start: 20, end: 23},
            {start: 42, end: 43}
        ]);
    });

    it("a run at position 0 that comes from elsewhere in the donor is a boundary too", () => {
        const plan = selectRecompute([{donorStart: 5, targetStart: 0, length: 40}], 40);
        expect(plan.boundaryRuns).toBe(1);
        expect(plan.ranges).toEqual([
            {start: 0, end: 6},
            {start: 39, end: 40}
        ]);
    });

    it("spreads the budget over boundaries proportionally to run length", () => {
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 200}, // exact prefix: no recompute
            {donorStart: 210, targetStart: 205, length: 400},
            {donorStart: 620, targetStart: 610, length: 100},
            {donorStart: 730, targetStart: 720, length: 100}
        ];
        const plan = selectRecompute(runs, 830, {budgetFraction: 0.134});
        expect(plan.budget).toBe(80); // ⌊0.134 × 600⌋: the exact prefix's 200 are not counted
        const windowAt = (start: number) => plan.ranges.find((r) => r.start <= start && start < r.end);
        // 3 × 1 first, then 77 split 399:99:99 → 51 + 13 + 13 (largest remainder), so 52 / 14 / 14.
        expect(windowAt(205)).toEqual({start: 200, end: 205 + 52});
        expect(windowAt(610)).toEqual({start: 605, end: 610 + 14});
        expect(windowAt(720)).toEqual({start: 710, end: 720 + 14});
        expect(plan.recomputedTokens).toBe(80); // the last token (829) is new, outside the runs
        expect(plan.newTokens).toBe(5 + 5 + 10 + 10);
    });

    it("with less budget than boundaries, boundaries after larger edits come first", () => {
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 1, length: 10}, // after a 1-token insert
            {donorStart: 10, targetStart: 20, length: 10}, // after a 9-token insert
            {donorStart: 20, targetStart: 35, length: 10} // after a 5-token insert
        ];
        const plan = selectRecompute(runs, 45, {budgetFraction: 2 / 30}); // budget 2
        expect(plan.budget).toBe(2);
        expect(covers(plan.ranges, 20)).toBe(true);
        expect(covers(plan.ranges, 35)).toBe(true);
        expect(covers(plan.ranges, 1)).toBe(false);
    });

    it("lends a long exact prefix's tokens no budget: the few kept after it keep most of their reuse", () => {
        // A long shared system prompt, then a question: 10 new tokens and 8 kept ones.
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 1000},
            {donorStart: 1000, targetStart: 1010, length: 8}
        ];
        const plan = selectRecompute(runs, 1018);
        expect(plan.budget).toBe(1);
        expect(plan.ranges).toEqual([
            {start: 1000, end: 1011},
            {start: 1017, end: 1018}
        ]);
    });

    it("never recomputes more than the runs hold", () => {
        const runs: KeptRun[] = [
            {donorStart: 2, targetStart: 0, length: 5},
            {donorStart: 9, targetStart: 7, length: 3}
        ];
        const plan = selectRecompute(runs, 10, {budgetFraction: 1});
        expect(plan.budget).toBe(8);
        expect(plan.ranges).toEqual([{start: 0, end: 10}]);
    });

    it("rejects unsorted, overlapping or out-of-range runs and bad fractions", () => {
        expect(() =>
            selectRecompute(
                [
                    {donorStart: 0, targetStart: 5, length: 5},
                    {donorStart: 9, targetStart: 8, length: 5}
                ],
                20
            )
        ).toThrow(RangeError);
        expect(() => selectRecompute([{donorStart: 0, targetStart: 0, length: 21}], 20)).toThrow(RangeError);
        expect(() => selectRecompute([], 5, {budgetFraction: 1.5})).toThrow(RangeError);
    });

    it("on aligned real-text edits: covers every new token and the last, stays within budget", () => {
        const tok = new WordTokenizer();
        const stories = tinyStories();
        const rand = seededRandom(11);
        for (let trial = 0; trial < 30; trial++) {
            const donor = storyTokens(tok, stories, trial * 5, 100 + Math.floor(rand() * 1500));
            const target = applyRandomEdits(donor, [0.02, 0.1, 0.3][trial % 3] as number, rand);
            const {runs} = alignTokens(donor, target);
            const fraction = [0, 0.15, 0.4][trial % 3] as number;
            const plan = selectRecompute(runs, target.length, {budgetFraction: fraction});
            // Sorted, merged, inside the target.
            expect(mergeRanges(plan.ranges)).toEqual(plan.ranges);
            expect(plan.ranges.every((r) => r.start >= 0 && r.end <= target.length)).toBe(true);
            for (let p = 0; p < target.length; p++) {
                if (!runs.some((r) => r.targetStart <= p && p < r.targetStart + r.length)) expect(covers(plan.ranges, p)).toBe(true);
            }
            expect(covers(plan.ranges, target.length - 1)).toBe(true);
            expect(plan.recomputedTokens).toBeLessThanOrEqual(plan.budget + 1);
            expect(plan.newTokens + plan.recomputedTokens + plan.reusedTokens).toBe(target.length);

            const summary = summariseReuse(runs, target.length, plan.ranges);
            expect(summary.counts).toEqual({reused: plan.reusedTokens, recomputed: plan.recomputedTokens, new: plan.newTokens});
        }
    });
});

describe("summariseReuse", () => {
    it("labels positions and run-length encodes them", () => {
        const runs: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 4},
            {donorStart: 4, targetStart: 6, length: 4}
        ];
        const plan = selectRecompute(runs, 10, {budgetFraction: 0.5}); // budget 2: half the 4 kept after the exact prefix
        const s = summariseReuse(runs, 10, plan.ranges);
        // positions 6–7: budget window after the insert; 9: the last token.
        expect(s.labels).toEqual(["reused", "reused", "reused", "reused", "new", "new", "recomputed", "recomputed", "reused", "recomputed"]);
        expect(s.segments).toEqual([
            {label: "reused", start: 0, end: 4},
            {label: "new", start: 4, end: 6},
            {label: "recomputed", start: 6, end: 8},
            {label: "reused", start: 8, end: 9},
            {label: "recomputed", start: 9, end: 10}
        ]);
        expect(s.counts).toEqual({reused: 5, recomputed: 3, new: 2});
    });

    it("treats the last token inside a run as recomputed", () => {
        const runs: KeptRun[] = [{donorStart: 0, targetStart: 0, length: 6}];
        const s = summariseReuse(runs, 6, selectRecompute(runs, 6).ranges);
        expect(s.segments).toEqual([
            {label: "reused", start: 0, end: 5},
            {label: "recomputed", start: 5, end: 6}
        ]);
    });
});
