/** `dhd-guard`'s cells for a plan (every one past the common prefix, and which hold donor KV), and its check of a token. */
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import {type LlamaContext, type LlamaModel, type Token} from "node-llama-cpp";
import {silentLogger} from "../../common/log.js";
import type {KvShareRecord} from "../../../shared/openai.js";
import {selectRecompute} from "../policy/index.js";
import {guardFor, RecomputeStages} from "./RecomputeStages.js";
import type {PreparedSequence} from "./types.js";
import {openStoriesContext} from "../../kv/__tests__/support.js";

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

describe("dhd-guard's check of a token", () => {
    let model: LlamaModel;
    let context: LlamaContext;
    beforeAll(async () => {
        ({model, context} = await openStoriesContext(1));
    }, 120_000);
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
    });

    /** Checks a token of `probability` at `taken` tokens into a guarded answer; what the guard noted for the cost gate. */
    async function check(probability: number, taken: number, othersWaiting = false) {
        const prepared: PreparedSequence = {
            pendingTokens: [],
            cachedTokens: 0,
            guard: {cells: [], donorKv: new Set()},
            record: {} as KvShareRecord,
            trace: {prefixFloor: 0, similarityThreshold: 0.5, recomputeBudget: 0.15, recomputePolicy: "dhd-guard", minGainTokens: 8}
        };
        const sequence = context.getSequence();
        try {
            const stage = new RecomputeStages({context, log: silentLogger, observeProbe: () => undefined}).decodeStage(sequence, prepared)!;
            // the runner-up three nats behind: no near tie
            const margin = vi.fn(async () => 3);
            const verdict = await stage.hooks(() => othersWaiting).recheck!(probability, taken, () => [], margin);
            return {verdict, reads: margin.mock.calls.length, checkedFirst: prepared.guard!.checkedFirst, readFirst: prepared.guard!.readFirst};
        } finally {
            sequence.dispose();
        }
    }

    it("notes for the cost gate whether the first token was checked and whether its runner-up was read", async () => {
        expect(await check(0.5, 0)).toEqual({verdict: "continue", reads: 1, checkedFirst: true, readFirst: true});
        // a sure token is taken without a read
        expect(await check(0.95, 0)).toEqual({verdict: "continue", reads: 0, checkedFirst: true, readFirst: undefined});
        // later tokens are not the first one's cost
        expect(await check(0.5, 3)).toEqual({verdict: "continue", reads: 1, checkedFirst: undefined, readFirst: undefined});
        // while others wait nothing is checked, nor read
        expect(await check(0.5, 0, true)).toEqual({verdict: "continue", reads: 0, checkedFirst: undefined, readFirst: undefined});
    });
});
