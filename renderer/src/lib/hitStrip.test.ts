import {describe, expect, it} from "vitest";
import type {KvShareRecord} from "../../../shared/openai.js";
import {countLabels, donorLabels, groupRuns, hitKind, promptLabels, tokenWindow} from "./hitStrip.js";

const semantic: KvShareRecord = {
    mode: "semantic",
    prompt_tokens: 8,
    reused_tokens: 5,
    computed_tokens: 3,
    recomputed_tokens: 1,
    scope: "global",
    donor: {id: 1, similarity: 0.8, exact: false, prompt: "a girl named Lily", tokens: 7},
    segments: [
        {label: "reused", start: 0, end: 3},
        {label: "new", start: 3, end: 5},
        {label: "recomputed", start: 5, end: 6},
        {label: "reused", start: 6, end: 8}
    ],
    runs: [
        {donor_start: 0, target_start: 0, length: 3},
        {donor_start: 4, target_start: 5, length: 3}
    ],
    prompt_pieces: ["a", " boy", " named", " T", "om", ",", " he", "!"],
    donor_pieces: ["a", " girl", " named", " L", "ily", ",", " she"]
};

describe("hit strip", () => {
    it("labels prompt positions from the segments", () => {
        expect(promptLabels(semantic)).toEqual(["reused", "reused", "reused", "new", "new", "recomputed", "reused", "reused"]);
        expect(countLabels(promptLabels(semantic))).toEqual({reused: 5, new: 2, recomputed: 1});
    });

    it("labels a prefix hit without segments as reused, then new", () => {
        const prefix: KvShareRecord = {mode: "prefix", prompt_tokens: 4, reused_tokens: 2, computed_tokens: 2, recomputed_tokens: 0};
        expect(promptLabels(prefix)).toEqual(["reused", "reused", "new", "new"]);
        expect(hitKind(prefix)).toBe("prefix");
        expect(hitKind({...prefix, mode: "none", reused_tokens: 0})).toBe("miss");
        expect(hitKind(semantic)).toBe("donor");
    });

    it("labels the donor's tokens kept, moved or replaced", () => {
        expect(donorLabels(semantic)).toEqual(["kept", "kept", "kept", "replaced", "kept", "kept", "kept"]);
        const swapped = {
            ...semantic,
            runs: [
                {donor_start: 4, target_start: 0, length: 2},
                {donor_start: 0, target_start: 3, length: 2}
            ]
        };
        expect(donorLabels(swapped)).toEqual(["moved", "moved", "replaced", "replaced", "kept", "kept", "unused"]);
    });

    it("groups neighbouring pieces with one label", () => {
        expect(groupRuns(semantic.prompt_pieces!, promptLabels(semantic))).toEqual([
            {label: "reused", text: "a boy named", start: 0, length: 3},
            {label: "new", text: " Tom", start: 3, length: 2},
            {label: "recomputed", text: ",", start: 5, length: 1},
            {label: "reused", text: " he!", start: 6, length: 2}
        ]);
        expect(groupRuns(semantic.prompt_pieces!, promptLabels(semantic), 6)).toEqual([{label: "reused", text: " he!", start: 6, length: 2}]);
    });

    it("draws the end of a long prompt, and a long donor's kept and replaced tokens, not its unused answer", () => {
        expect(tokenWindow(Array(1000).fill("new"), 480, 24)).toEqual({from: 520, to: 1000});
        // A short donor prompt (35 tokens) followed by its 1499-token answer: the prompt, then 24 of the answer.
        const donor = [...Array(31).fill("kept"), ...Array(4).fill("replaced"), ...Array(1499).fill("unused")];
        expect(tokenWindow(donor, 480, 24)).toEqual({from: 0, to: 59});
        // A long donor prompt: its end, up to 24 tokens into the answer.
        const long = [...Array(600).fill("kept"), ...Array(900).fill("unused")];
        expect(tokenWindow(long, 480, 24)).toEqual({from: 144, to: 624});
    });
});
