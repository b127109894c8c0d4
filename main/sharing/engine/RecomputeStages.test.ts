/** `dhd-guard`'s cells for a plan: every one past the common prefix, and which hold donor KV. */
import {describe, expect, it} from "vitest";
import type {Token} from "node-llama-cpp";
import {selectRecompute} from "../policy/index.js";
import {guardFor} from "./RecomputeStages.js";

const prompt = Array.from({length: 20}, (_, i) => (100 + i) as Token);
// an exact common prefix of 5, 3 new tokens, then 12 kept ones after the edit
const runs = [
    {targetStart: 0, donorStart: 0, length: 5},
    {targetStart: 8, donorStart: 5, length: 12}
];

describe("guardFor", () => {
    it("takes every cell past the common prefix, the computed ones before the first donor-KV cell too", () => {
        const plan = selectRecompute(runs, prompt.length, {policy: "none"});
        const {guard} = guardFor(plan, prompt, 1);
        expect([...(guard?.donorKv ?? [])]).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        expect(guard?.cells.map((c) => c.position)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        expect(guard?.cells.every((c) => c.token === prompt[c.position])).toBe(true);
    });

    it("counts as donor KV only what the prefill did not compute", () => {
        const scores = new Float32Array(prompt.length).fill(Number.NaN);
        for (let p = 8; p < 20; p++) scores[p] = p === 8 || p === 12 ? 10 : 1;
        const plan = selectRecompute(runs, prompt.length, {policy: "dhd", budgetFraction: 2 / 12, scores});
        const {guard} = guardFor(plan, prompt, 1);
        expect([...(guard?.donorKv ?? [])]).toEqual([9, 10, 11, 13, 14, 15, 16, 17, 18]);
        expect(guard?.cells[0]?.position).toBe(5);
        expect(guard?.cells.at(-1)?.position).toBe(18);
        expect(guard?.cells).toHaveLength(14);
    });

    it("is absent where no cell holds donor KV (all kept KV is a common prefix's, or all of it was computed)", () => {
        const prefixOnly = selectRecompute([{targetStart: 0, donorStart: 0, length: 15}], prompt.length, {policy: "none"});
        expect(guardFor(prefixOnly, prompt, 1)).toEqual({});
        const allComputed = selectRecompute(runs, prompt.length, {policy: "boundary", budgetFraction: 1});
        expect(guardFor(allComputed, prompt, 1)).toEqual({});
    });
});
