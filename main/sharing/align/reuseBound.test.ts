import {describe, expect, it} from "vitest";
import {alignTokens, reuseUpperBound} from "./index.js";
import {applyRandomEdits, seededRandom, storyTokens, tinyStories, WordTokenizer} from "../../../test/support/testData.js";

describe("reuseUpperBound", () => {
    const tok = new WordTokenizer();
    const stories = tinyStories();
    const rand = seededRandom(11);

    it("is never below what alignTokens reuses, on real text, edits, short prefixes and odd ids", () => {
        const cases: Array<[readonly number[], readonly number[]]> = [];
        for (let i = 0; i < 60; i++) {
            const donor = storyTokens(tok, stories, Math.floor(rand() * 3000), 50 + Math.floor(rand() * 400));
            cases.push([donor, applyRandomEdits(donor, rand() * 0.5, rand)]);
            cases.push([donor, storyTokens(tok, stories, Math.floor(rand() * 3000), 300)]);
            // A short common prefix, then something else.
            cases.push([donor, [...donor.slice(0, 1 + Math.floor(rand() * 3)), ...applyRandomEdits(donor.slice(10), 0.3, rand, 5_000_000)]]);
            // Ids above the marking table's range, and negative ones.
            cases.push([donor.map((t) => t + 10_000_000), applyRandomEdits(donor, 0.2, rand).map((t) => t + 10_000_000)]);
            cases.push([donor.map((t) => -t), applyRandomEdits(donor, 0.2, rand).map((t) => -t)]);
        }
        const lowEntropy = () => Array.from({length: 300}, () => Math.floor(rand() * 6));
        for (let i = 0; i < 20; i++) cases.push([lowEntropy(), lowEntropy()]);
        for (const [donor, target] of cases) {
            for (const options of [{}, {minRunLength: 2}, {minRunLength: 8}, {keepShortPrefix: false}]) {
                const bound = reuseUpperBound(donor, target, options);
                expect(bound).toBeGreaterThanOrEqual(alignTokens(donor, target, options).reusedTokens);
                expect(bound).toBeLessThanOrEqual(Math.min(donor.length, target.length));
            }
        }
    });

    it("is exact for a copy and for disjoint tokens, and well below the length for unrelated stories", () => {
        const donor = storyTokens(tok, stories, 100, 2000);
        expect(reuseUpperBound(donor, donor)).toBe(2000);
        expect(
            reuseUpperBound(
                donor,
                donor.map((t) => t + 1_000_000)
            )
        ).toBe(0);
        // A short common prefix counts (kept by default however short), other short stretches do not.
        expect(reuseUpperBound([1, 2, 9, 9, 9, 9, 9], [1, 2, 3, 4, 5, 6, 7])).toBe(2);
        expect(reuseUpperBound([1, 2, 9, 9, 9, 9, 9], [1, 2, 3, 4, 5, 6, 7], {keepShortPrefix: false})).toBe(0);
        expect(reuseUpperBound([5, 6, 7, 8, 9], [0, 5, 6, 7, 0, 5, 6, 7, 8])).toBe(4);
        // Unrelated text shares its common words, far from all in stretches long enough for a run.
        const unrelated = storyTokens(tok, stories, 900, 2000);
        const bound = reuseUpperBound(donor, unrelated, {minRunLength: 4});
        expect(bound).toBeLessThan(0.6 * unrelated.length);
        expect(bound).toBeGreaterThanOrEqual(alignTokens(donor, unrelated, {minRunLength: 4}).reusedTokens);
    });
});
