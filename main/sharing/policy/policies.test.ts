/**
 * The recompute policies other than the edit-boundary default: none, EPIC, and the measured ones that rank
 * kept tokens by deviation scores (and queue every other measured one for the decode stage, up to a cap); deviation
 * scores themselves.
 */
import {describe, expect, it} from "vitest";
import {
    DECODE_RECOMPUTE_MAX_STEPS,
    DECODE_RECOMPUTE_PER_STEP,
    deviationScores,
    lastTokenAttention,
    isNearTie,
    mayBeNearTie,
    selectRecompute,
    type ProbeRows
} from "./index.js";
import type {KeptRun} from "../../kv/index.js";

// donor 40 tokens; target = donor[0,10) + 4 new + donor[10,20) + 2 new + donor[20,40)  (46 tokens)
const runs: KeptRun[] = [
    {donorStart: 0, targetStart: 0, length: 10},
    {donorStart: 10, targetStart: 14, length: 10},
    {donorStart: 20, targetStart: 26, length: 20}
];
const positionsOf = (ranges: ReadonlyArray<{start: number; end: number}>) =>
    ranges.flatMap(({start, end}) => Array.from({length: end - start}, (_, i) => start + i));

describe("recompute policies", () => {
    it("none computes only the new tokens and the last one, whatever the budget", () => {
        const plan = selectRecompute(runs, 46, {policy: "none", budgetFraction: 0.5});
        expect(positionsOf(plan.ranges)).toEqual([10, 11, 12, 13, 24, 25, 45]);
        expect(plan.recomputedTokens).toBe(1);
        expect(plan.policy).toBe("none");
    });

    it("EPIC gives every run after an edit the same number of first tokens", () => {
        const plan = selectRecompute(runs, 46, {policy: "epic", budgetFraction: 0.2}); // 30 kept after the exact prefix → 6
        const kept = positionsOf(plan.ranges).filter((p) => ![10, 11, 12, 13, 24, 25, 45].includes(p));
        expect(kept).toEqual([14, 15, 16, 26, 27, 28]);
        // the boundary default splits by run length instead: the longer run gets more
        const boundary = positionsOf(selectRecompute(runs, 46, {policy: "boundary", budgetFraction: 0.2}).ranges).filter((p) => p >= 26 && p < 45);
        expect(boundary.length).toBe(4);
    });

    it("deviation takes the highest scores anywhere after the exact prefix; dhd the first token after each edit first, larger edits first", () => {
        const scores = new Float32Array(46).fill(NaN);
        for (const run of runs) for (let i = 0; i < run.length; i++) scores[run.targetStart + i] = 0.01 * (run.targetStart + i);
        scores[33] = 9;
        scores[18] = 7;
        const at = (policy: "deviation" | "dhd", budgetFraction: number) =>
            positionsOf(selectRecompute(runs, 46, {policy, budgetFraction, scores}).ranges).filter((p) => ![10, 11, 12, 13, 24, 25, 45].includes(p));
        // 30 kept after the exact prefix: 0.1 → 3, 0.05 → 1
        expect(at("deviation", 0.1)).toEqual([18, 33, 44]);
        // 14 follows 4 new tokens, 26 follows 2: both run starts, then the best score
        expect(at("dhd", 0.1)).toEqual([14, 26, 33]);
        expect(at("dhd", 0.05)).toEqual([14]);
        // a run start that is the last token is computed anyway and takes no budget
        const tail: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: 10},
            {donorStart: 12, targetStart: 10, length: 30},
            {donorStart: 42, targetStart: 45, length: 1}
        ];
        const tailScores = new Float32Array(46).fill(NaN);
        for (let p = 10; p < 40; p++) tailScores[p] = p;
        tailScores[45] = 1;
        const plan = selectRecompute(tail, 46, {policy: "dhd", budgetFraction: 0.1, scores: tailScores}); // 31 kept → 3
        expect(positionsOf(plan.ranges)).toEqual([10, 38, 39, 40, 41, 42, 43, 44, 45]);
    });

    it("the measured policies take the rest of the budget by score anywhere after the exact prefix, and dhd-decode queues every other measured one", () => {
        const scores = new Float32Array(46).fill(NaN);
        for (const run of runs) for (let i = 0; i < run.length; i++) scores[run.targetStart + i] = 0.01 * (run.targetStart + i);
        scores[33] = 9;
        scores[5] = 8; // inside the exact common prefix: its KV is a prefill's, never recomputed
        scores[18] = 7;
        scores[40] = 0; // no measured deviation: never chosen, never queued
        const plan = selectRecompute(runs, 46, {policy: "dhd", budgetFraction: 0.15, scores}); // 30 kept after the exact prefix → 4
        expect(plan.policy).toBe("dhd");
        // the two run starts (14, 26), then the highest scores (33, 18)
        expect(positionsOf(plan.ranges)).toEqual([10, 11, 12, 13, 14, 18, 24, 25, 26, 33, 45]);
        expect(plan.decodeQueue).toEqual([]);
        const decode = selectRecompute(runs, 46, {policy: "dhd-decode", budgetFraction: 0.15, scores});
        expect(positionsOf(decode.ranges)).toEqual(positionsOf(plan.ranges));
        // every other kept token after the exact prefix with a measured deviation, highest first (not the last token: it is computed)
        expect(decode.decodeQueue).toEqual([44, 43, 42, 41, 39, 38, 37, 36, 35, 34, 32, 31, 30, 29, 28, 27, 23, 22, 21, 20, 19, 17, 16, 15]);
        // nothing the prefill computes is queued; with the whole budget spent before the first token, nothing is left
        expect(decode.decodeQueue.filter((p) => positionsOf(decode.ranges).includes(p))).toEqual([]);
        expect(selectRecompute(runs, 46, {policy: "dhd-decode", budgetFraction: 1, scores}).decodeQueue).toEqual([]);
        // dhd-guard chooses and queues as dhd-decode does; every plan says where the exact common prefix ends
        const guard = selectRecompute(runs, 46, {policy: "dhd-guard", budgetFraction: 0.15, scores});
        expect(guard.policy).toBe("dhd-guard");
        expect(guard.ranges).toEqual(decode.ranges);
        expect(guard.decodeQueue).toEqual(decode.decodeQueue);
        expect([plan.commonPrefix, guard.commonPrefix]).toEqual([10, 10]);
        expect(selectRecompute(runs.slice(1), 46, {policy: "dhd-guard", budgetFraction: 0.15, scores}).commonPrefix).toBe(0);
    });

    it("a near tie: a token under 73% may have a runner-up within 1 nat (a free screen); the runner-up's gap decides", () => {
        const within = (gap: number) => 1 / (1 + Math.exp(-gap)); // the top token's probability with one runner-up `gap` nats below, nothing else
        expect(mayBeNearTie(within(0.99))).toBe(true);
        expect(mayBeNearTie(within(1.01))).toBe(false);
        expect(mayBeNearTie(0.3)).toBe(true); // a flat step: its runner-up may yet be far behind
        expect(mayBeNearTie(0.99)).toBe(false);
        expect(isNearTie(0.99)).toBe(true);
        expect(isNearTie(1.01)).toBe(false);
        // with one runner-up and nothing else the screen and the gap agree
        for (const gap of [0, 0.5, 0.9, 1.1, 3]) expect(mayBeNearTie(within(gap))).toBe(isNearTie(gap));
    });

    it("dhd-decode queues at most DECODE_RECOMPUTE_MAX_STEPS steps' worth, the highest scores", () => {
        const long: KeptRun[] = [{donorStart: 0, targetStart: 5, length: 1000}];
        const scores = new Float32Array(1005).fill(NaN);
        for (let p = 5; p < 1005; p++) scores[p] = p;
        const plan = selectRecompute(long, 1005, {policy: "dhd-decode", budgetFraction: 0.1, scores}); // 1000 kept → 100
        const cap = DECODE_RECOMPUTE_PER_STEP * DECODE_RECOMPUTE_MAX_STEPS;
        expect(plan.decodeQueue.length).toBe(cap);
        // the last token (1004) is computed anyway; the budget took the run's start (5) and 1003 down to 905
        expect(plan.decodeQueue[0]).toBe(904);
        expect(plan.decodeQueue.at(-1)).toBe(904 - cap + 1);
        expect(plan.decodeQueue).not.toContain(5);
    });

    it("a measured policy without scores acts as the boundary default and says so (but for a zero budget)", () => {
        const plan = selectRecompute(runs, 46, {policy: "dhd", budgetFraction: 0.15});
        expect(plan.policy).toBe("boundary");
        expect(plan.ranges).toEqual(selectRecompute(runs, 46, {budgetFraction: 0.15}).ranges);
        const none = selectRecompute(runs, 46, {policy: "dhd-decode", budgetFraction: 0});
        expect(none.policy).toBe("dhd-decode");
        expect(none.ranges).toEqual(selectRecompute(runs, 46, {policy: "none"}).ranges);
    });
});

describe("deviation scores", () => {
    // 4 target tokens, 2 heads sharing 1 KV head of dim 2, V rows of 2
    const probe: ProbeRows = {
        q: Float32Array.from([1, 0, 1, 0]),
        k: Float32Array.from([0, 0, 4, 0, 0, 0, 0, 0]),
        v: Float32Array.from([1, 1, 2, 2, 3, 3, 4, 4]),
        headDim: 2,
        nHead: 2,
        nHeadKv: 1,
        nEmbdV: 2
    };
    // donor cells in another order: positions 2, 0, 1 (a cell's row is its V)
    const donor = {positions: Int32Array.from([2, 0, 1]), rows: Float32Array.from([3, 3.5, 1, 1, 0, 2]), nEmbdV: 2};
    // target 0 ← donor 0, target 1 ← donor 1, target 2 ← donor 2; target 3 is new
    const kept: KeptRun[] = [{donorStart: 0, targetStart: 0, length: 3}];

    it("is the L1 distance of fresh and cached V per kept token, NaN elsewhere", () => {
        const scores = deviationScores(probe, donor, kept, 4, false);
        expect([...scores.slice(0, 3)]).toEqual([0, 2, 0.5]);
        expect(scores[3]).toBeNaN();
    });

    it("weighted by the last token's attention over the kept keys (softmax per head, averaged)", () => {
        const attention = lastTokenAttention(probe, [0, 1, 2]);
        const e = Math.exp(4 / Math.sqrt(2));
        expect(attention[1]).toBeCloseTo(e / (e + 2), 6);
        expect(attention[0]).toBeCloseTo(1 / (e + 2), 6);
        const scores = deviationScores(probe, donor, kept, 4, true);
        expect(scores[1]).toBeCloseTo(2 * (e / (e + 2)), 5);
        expect(scores[2]).toBeCloseTo(0.5 / (e + 2), 5);
    });
});
