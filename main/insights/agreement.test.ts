import {describe, expect, it} from "vitest";
import {compareAnswers, lcsLength, rougeLOf} from "./agreement.js";

describe("answer agreement", () => {
    it("counts identical tokens up to the first difference, over the longer answer", () => {
        expect(compareAnswers([1, 2, 3, 4], [1, 2, 3, 4])).toEqual({checkedTokens: 4, matchedTokens: 4, rougeL: 1});
        const diverged = compareAnswers([1, 2, 9, 4, 5], [1, 2, 3, 4]);
        expect(diverged.matchedTokens).toBe(2);
        expect(diverged.checkedTokens).toBe(5);
        // LCS [1, 2, 4] = 3: precision 3/5, recall 3/4.
        expect(diverged.rougeL).toBeCloseTo((2 * 0.6 * 0.75) / (0.6 + 0.75), 12);
        expect(compareAnswers([], [])).toEqual({checkedTokens: 0, matchedTokens: 0, rougeL: 1});
        expect(compareAnswers([7], [8]).rougeL).toBe(0);
    });

    it("finds the longest common subsequence", () => {
        expect(lcsLength([..."ABCBDAB"], [..."BDCABA"])).toBe(4);
        expect(rougeLOf(["a"], [])).toBe(0);
    });
});
