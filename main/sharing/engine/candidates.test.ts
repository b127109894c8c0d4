import {describe, expect, it} from "vitest";
import {alignTokens} from "../align/index.js";
import {applyRandomEdits, seededRandom, storyTokens, tinyStories, WordTokenizer} from "../../../test/support/testData.js";
import {alignCandidates, alwaysEligible, candidateFrontier, type CandidateInput} from "./candidates.js";

describe("alignCandidates", () => {
    const tok = new WordTokenizer();
    const stories = tinyStories();
    const rand = seededRandom(5);

    /** What admission did before skipping: align every candidate, the first eligible with the most reuse is the donor. */
    function reference(candidates: readonly CandidateInput[], target: readonly number[], minRunLength: number) {
        const reused = candidates.map((c) => alignTokens(c.tokens, target, {minRunLength}).reusedTokens);
        let best: number | undefined;
        reused.forEach((r, i) => {
            if (candidates[i]!.eligible && r > 0 && (best == null || r > reused[best]!)) best = i;
        });
        return {best, frontier: candidateFrontier(candidates.map((c, i) => [c.similarity, reused[i]!] as const))};
    }

    it("gives the donor and the what-if frontier of aligning every candidate, aligning fewer", () => {
        let aligned = 0;
        let total = 0;
        for (let round = 0; round < 150; round++) {
            const target = storyTokens(tok, stories, Math.floor(rand() * 3000), 100 + Math.floor(rand() * 600));
            const candidates: CandidateInput[] = Array.from({length: 1 + Math.floor(rand() * 9)}, () => {
                const kind = rand();
                const tokens =
                    kind < 0.2
                        ? applyRandomEdits(target, rand() * 0.4, rand) // a paraphrase
                        : kind < 0.3
                          ? target.slice(0, Math.floor(rand() * target.length)) // a shorter prefix
                          : kind < 0.4
                            ? [...target.slice(0, 2), ...storyTokens(tok, stories, 10, 200)] // a short common prefix
                            : kind < 0.5
                              ? [...storyTokens(tok, stories, 50, 100), ...target.slice(50, 150)] // a shared passage
                              : storyTokens(tok, stories, Math.floor(rand() * 3000), 50 + Math.floor(rand() * 600)); // unrelated
                // Coarse similarities, so ties occur; some always eligible.
                const similarity = rand() < 0.1 ? alwaysEligible : Math.round(rand() * 10) / 10;
                return {tokens, similarity, eligible: similarity === alwaysEligible || similarity >= 0.5};
            });
            for (const minRunLength of [2, 4]) {
                const result = alignCandidates(candidates, target, {minRunLength});
                const expected = reference(candidates, target, minRunLength);
                expect(result.best).toBe(expected.best);
                expect(result.frontier).toEqual(expected.frontier);
                if (result.best != null) expect(result.alignments[result.best]).toEqual(alignTokens(candidates[result.best]!.tokens, target, {minRunLength}));
                aligned += result.alignments.filter((a) => a != null).length;
                total += candidates.length;
            }
        }
        // The point of it: a good donor among unrelated neighbours spares their alignment.
        expect(aligned).toBeLessThan(0.8 * total);
    });

    it("uses an alignment it is given, and keeps the earlier candidate on a tie", () => {
        const target = storyTokens(tok, stories, 40, 300);
        const copy = {tokens: [...target], similarity: 0.6, eligible: true};
        const given = alignTokens(target, target, {minRunLength: 4});
        const result = alignCandidates([copy, {...copy, similarity: 0.9, alignment: given}], target, {minRunLength: 4});
        expect(result.best).toBe(0);
        expect(result.alignments[1]).toBe(given);
        expect(result.frontier).toEqual([[0.9, 300]]);
        expect(alignCandidates([], target, {minRunLength: 4})).toEqual({alignments: [], best: undefined, frontier: []});
    });
});
