import {describe, expect, it} from "vitest";
import {CostGate, type GateQuestion} from "./CostGate.js";

const question: GateQuestion = {
    promptTokens: 400,
    ownPrefix: 0,
    reusedTokens: 360,
    recomputeBudget: 0.1,
    donorTokens: 420,
    donorBytes: 4_000_000,
    inMemory: true
};

/** A gate that has seen a few floors and edits at the given rates. */
function trained(prefillMsPerToken: number, editMsPerDonorToken: number, editComputeMsPerToken: number): CostGate {
    const gate = new CostGate();
    for (let i = 0; i < 4; i++) {
        gate.observeFloor(200, 200 * prefillMsPerToken);
        gate.observeEdit({
            donorTokens: 400,
            readBytes: 4_000_000,
            readMs: 8,
            restoreMs: 400 * editMsPerDonorToken,
            editMs: 0,
            computedTokens: 60,
            computeMs: 60 * editComputeMsPerToken
        });
    }
    return gate;
}

describe("cost gate", () => {
    it("uses donors until it has measured what they and the floor cost", () => {
        const gate = new CostGate();
        expect(gate.decide(question)).toBeUndefined();
        gate.observeFloor(200, 2);
        expect(gate.decide(question)).toBeUndefined();
    });

    it("before measuring, does not try a small saving while requests wait, nor keep a short prompt then", () => {
        const gate = new CostGate();
        const small = {...question, promptTokens: 60, reusedTokens: 70, ownPrefix: 10, donorTokens: 70};
        expect(gate.decide(small)).toBeUndefined(); // nobody waiting: tried, to learn its costs
        expect(gate.decide({...small, busy: true})).toMatchObject({useDonor: false, cold: true});
        expect(gate.decide({...small, reusedTokens: 80, busy: true})).toBeUndefined(); // saves 70 ≥ 64: worth the experiment
        expect(gate.worthCaching(40, {recomputeBudget: 0.15})).toBe(true);
        expect(gate.worthCaching(40, {recomputeBudget: 0.15}, true)).toBe(false);
        expect(gate.worthCaching(64, {recomputeBudget: 0.15}, true)).toBe(true);
    });

    it("keeps a prompt only where its best use saves more than the capture that keeping it costs now", () => {
        // prefill 1 ms a token: a 300-token prompt's best later use saves ~270 ms.
        const gate = trained(1, 0.05, 0.1);
        expect(gate.worthCaching(300, {recomputeBudget: 0.15})).toBe(true);
        for (let i = 0; i < 4; i++) gate.observeCapture(300, 400); // the capture waits 400 ms for the context
        expect(Array.from({length: 7}, () => gate.worthCaching(300, {recomputeBudget: 0.15})).some(Boolean)).toBe(false);
        for (let i = 0; i < 30; i++) gate.observeCapture(300, 5);
        expect(gate.worthCaching(300, {recomputeBudget: 0.15})).toBe(true);
    });

    it("says when no donor at all could beat the floor for a prompt of a given length", () => {
        expect(new CostGate().donorsCanPay(40, {recomputeBudget: 0.15})).toBe(true); // not measured yet
        expect(trained(0.01, 0.05, 0.05).donorsCanPay(300, {recomputeBudget: 0.15})).toBe(false); // a tiny model
        expect(trained(0.5, 0.01, 0.5).donorsCanPay(300, {recomputeBudget: 0.15})).toBe(true); // a large one
    });

    it("prices the best possible donor as the exact common prefix it is: no budget recomputed, no probe", () => {
        // edits compute as slowly as a prefill, and a probe costs one: a real edited donor loses, the best one does not
        const gate = trained(1, 0.01, 1);
        for (let i = 0; i < 4; i++) gate.observeProbe(300, 320);
        const charge = {recomputeBudget: 0.15, probes: true, guards: true};
        expect(gate.decide({...question, ...charge, deviatingTokens: 300})?.useDonor).toBe(false);
        expect(gate.donorsCanPay(300, charge)).toBe(true);
        expect(gate.keepsOut(300, charge)).toBe(false);
    });

    it("counts a measured probe's cost against the donor of a probing policy", () => {
        // prefill 1 ms/token: floor 400 ms; donor without probe ≈ 21 + 0.1×(40+36) ≈ 29 ms; a probe as slow as a full prefill tips it
        const gate = trained(1, 0.05, 0.1);
        const without = gate.decide({...question, probes: true});
        expect(without?.useDonor).toBe(true);
        for (let i = 0; i < 4; i++) gate.observeProbe(400, 420);
        const withProbe = gate.decide({...question, probes: true});
        expect(withProbe?.donorMs).toBeGreaterThan((without?.donorMs ?? 0) + 400);
        expect(withProbe?.useDonor).toBe(false);
        expect(gate.decide(question)?.useDonor).toBe(true);
    });

    it("charges dhd-guard's recompute before the first token at the share of guarded answers measured to need it", () => {
        // prefill 1 ms/token: floor 400 ms; the donor path computes 40 new + 10% of 300 deviating kept tokens at 1 ms
        const gate = trained(1, 0.05, 1);
        const guarded = {...question, deviatingTokens: 300, guards: true};
        const unmeasured = gate.decide(guarded)!;
        expect(unmeasured.donorMs).toBeCloseTo(gate.decide({...question, deviatingTokens: 300})!.donorMs, 6);
        expect(unmeasured.useDonor).toBe(true);
        // every guarded answer so far recomputed before its first token: the 300 kept and 40 new cells (less the
        // last token) again, and the last token decoded again, on top of the path; a donor no faster than the floor any more
        for (let i = 0; i < 4; i++) gate.observeGuard(true, false);
        const always = gate.decide(guarded)!;
        expect(always.donorMs - unmeasured.donorMs).toBeCloseTo(339 + 1, 0);
        expect(always.useDonor).toBe(false);
        // while requests wait the guard does not run: nothing charged
        expect(gate.decide({...guarded, busy: true})!.donorMs).toBeCloseTo(unmeasured.donorMs, 6);
        // a prompt's best use (kept tokens unknown) and a request with no guard are charged nothing of it
        expect(gate.decide({...question, deviatingTokens: 300})!.useDonor).toBe(true);
        // once few guarded answers need it, the donor pays again
        for (let i = 0; i < 40; i++) gate.observeGuard(false, false);
        expect(gate.decide(guarded)!.useDonor).toBe(true);
    });

    it("charges the runner-up read of an unsure first token at the share of guarded answers measured to read it", () => {
        // prefill 5 ms/token: one token's decode (the read) is 5 ms
        const gate = trained(5, 0.01, 5);
        const guarded = {...question, deviatingTokens: 300, guards: true};
        const unguarded = gate.decide({...question, deviatingTokens: 300})!.donorMs;
        // every first token read, none recomputed for: one decode each
        for (let i = 0; i < 4; i++) gate.observeGuard(false, true);
        expect(gate.decide(guarded)!.donorMs - unguarded).toBeCloseTo(5, 6);
        // once few are read, little is charged
        for (let i = 0; i < 40; i++) gate.observeGuard(false, false);
        expect(gate.decide(guarded)!.donorMs - unguarded).toBeLessThan(0.1);
    });

    it("takes the donor where prefill is expensive (a large model)", () => {
        const answer = trained(5, 0.01, 5)!.decide(question)!;
        expect(answer.useDonor).toBe(true);
        expect(answer.donorMs).toBeLessThan(answer.floorMs);
    });

    it("prices the recompute budget on the kept tokens after an exact common prefix, as the plan spends it", () => {
        const gate = trained(5, 0.01, 5);
        // A long shared start kept exactly, 40 kept tokens after it: 4 recomputed, not 36.
        const shared = gate.decide({...question, deviatingTokens: 40})!;
        const counted = gate.decide(question)!;
        expect(shared.floorMs).toBe(counted.floorMs);
        // The 32 tokens less are priced at the edit's measured compute rate (5 ms a token).
        expect(counted.donorMs - shared.donorMs).toBeCloseTo(32 * 5, 6);
    });

    it("skips the donor where prefill is nearly free and restoring costs more (a tiny model)", () => {
        const answer = trained(0.01, 0.05, 0.05).decide(question)!;
        expect(answer.useDonor).toBe(false);
        expect(answer.floorMs).toBeCloseTo(4, 5);
    });

    it("counts the extra decode pass of a donor: skipped for a short prompt, taken for a long one, on the same machine", () => {
        // Each decode costs a 500 ms pass over the weights plus 5 ms per token (a large model on a CPU).
        const gate = new CostGate();
        for (const tokens of [20, 80, 200, 400, 40, 120]) {
            gate.observeFloor(tokens, 500 + 5 * tokens);
            gate.observeEdit({donorTokens: 400, readBytes: 0, readMs: 0, restoreMs: 4, editMs: 0, computedTokens: tokens, computeMs: 500 + 5 * tokens});
        }
        const short = gate.decide({...question, promptTokens: 40, reusedTokens: 35, donorTokens: 40})!;
        expect(short.useDonor).toBe(false);
        expect(short.floorMs).toBeCloseTo(700, 0);
        const long = gate.decide({...question, promptTokens: 400, reusedTokens: 360, donorTokens: 400})!;
        expect(long.useDonor).toBe(true);
        expect(long.donorMs).toBeLessThan(long.floorMs);
    });

    it("prices the pass of the prompt's last token as timed, not at a prefill's rate per token (prompts of one length, a GPU)", () => {
        // 60-token prompts on a GPU: 50 ms of two passes over the weights (the batch, then the last token alone) and
        // 5 ms of tokens. All of one length, so the prefill is a rate through the origin: 0.93 ms a token.
        const gate = new CostGate();
        for (let i = 0; i < 4; i++) gate.observeFloor(59, 55);
        for (const tokens of [4, 20, 40, 10]) {
            gate.observeEdit({donorTokens: 60, readBytes: 0, readMs: 0, restoreMs: 6, editMs: 0, computedTokens: tokens, computeMs: 25 + 0.15 * tokens});
        }
        // A donor saving 56 of 60 tokens (8 ms of compute) for a 6 ms restore and its edit's pass.
        const close: GateQuestion = {...question, promptTokens: 60, reusedTokens: 56, deviatingTokens: 0, recomputeBudget: 0, donorTokens: 60};
        const guessed = gate.decide(close)!;
        expect(guessed.useDonor).toBe(true); // the last token's pass priced at 0.93 ms
        for (let i = 0; i < 3; i++) gate.observeLastToken(25);
        const timed = gate.decide(close)!;
        expect(timed.donorMs - guessed.donorMs).toBeCloseTo(25 - 55 / 59, 5);
        expect(timed.useDonor).toBe(false);
        expect(timed.floorMs).toBeCloseTo(guessed.floorMs, 5);
    });

    it("keeps a prompt as a donor only where its best use beats a prefill (now and then otherwise)", () => {
        expect(new CostGate().worthCaching(300, {recomputeBudget: 0.15})).toBe(true);
        const large = trained(0.5, 0.01, 0.5);
        expect(Array.from({length: 16}, () => large.worthCaching(300, {recomputeBudget: 0.15})).every(Boolean)).toBe(true);
        const tiny = trained(0.01, 0.05, 0.05);
        const kept = Array.from({length: 24}, () => tiny.worthCaching(300, {recomputeBudget: 0.15}));
        expect(kept.flatMap((keep, i) => (keep ? [i] : []))).toEqual([7, 23]); // after 8 refusals, then 16
        // What a prompt served from the floor is told: the tiny model's prompts are kept out, the large one's not,
        // nothing before the rates are measured; asking decides nothing (the explorer's count is untouched).
        expect([
            tiny.keepsOut(300, {recomputeBudget: 0.15}),
            large.keepsOut(300, {recomputeBudget: 0.15}),
            new CostGate().keepsOut(300, {recomputeBudget: 0.15})
        ]).toEqual([true, false, false]);
        const asked = trained(0.01, 0.05, 0.05);
        for (let i = 0; i < 20; i++) asked.keepsOut(300, {recomputeBudget: 0.15});
        expect(Array.from({length: 8}, () => asked.worthCaching(300, {recomputeBudget: 0.15})).flatMap((keep, i) => (keep ? [i] : []))).toEqual([7]);
    });

    it("counts the disk read for a donor not in memory", () => {
        const gate = trained(0.1, 0.001, 0.1);
        const inMemory = gate.decide(question)!;
        const onDisk = gate.decide({...question, inMemory: false, donorBytes: 400_000_000})!;
        expect(onDisk.donorMs).toBeGreaterThan(inMemory.donorMs);
    });

    it("lets one donor through after a run of skips, so its rates stay current, and explores less while donors keep losing", () => {
        const gate = trained(0.01, 0.05, 0.05);
        const through = () => Array.from({length: 64}, () => gate.decide(question)!.useDonor).flatMap((use, i) => (use ? [i] : []));
        // Runs of 8, 16, 32 skips: each exploration the rates still answer "no" to doubles the next run.
        expect(through()).toEqual([7, 23, 55]);
        // While requests wait, the next exploration waits too: it goes ahead with the first skip after.
        expect(Array.from({length: 80}, () => gate.decide({...question, busy: true})!.useDonor).some(Boolean)).toBe(false);
        expect(gate.decide(question)!.useDonor).toBe(true);
        expect(through()).toEqual([]); // the run is 128 long now
        // Cheap donors measured (restoring became fast): the rates favour the donor, and the runs start over.
        for (let i = 0; i < 12; i++)
            gate.observeEdit({donorTokens: 400, readBytes: 0, readMs: 0, restoreMs: 0.1, editMs: 0, computedTokens: 60, computeMs: 0.1});
        for (let i = 0; i < 12; i++) gate.observeFloor(200, 200);
        expect(gate.decide(question)!.useDonor).toBe(true);
        // ... and dear again (recent samples count most).
        for (let i = 0; i < 40; i++) gate.observeFloor(200, 2);
        for (let i = 0; i < 40; i++) gate.observeEdit({donorTokens: 400, readBytes: 0, readMs: 0, restoreMs: 20, editMs: 0, computedTokens: 60, computeMs: 3});
        expect(through().slice(0, 2)).toEqual([7, 23]);
    });

    it("learns the fixed part of restoring and editing a donor (the wait for the context under load)", () => {
        // Each restore + edit costs a 90 ms wait plus 0.01 ms per donor token; a prefill 60 ms plus 0.5 ms a token.
        const gate = new CostGate();
        for (const tokens of [20, 80, 40, 60, 30, 70]) {
            gate.observeFloor(tokens, 60 + 0.5 * tokens);
            gate.observeEdit({
                donorTokens: tokens,
                readBytes: 0,
                readMs: 0,
                restoreMs: 45 + 0.005 * tokens,
                editMs: 45 + 0.005 * tokens,
                computedTokens: 5,
                computeMs: 62.5
            });
        }
        const short = gate.decide({...question, promptTokens: 50, reusedTokens: 45, donorTokens: 50})!;
        // donor ≈ 90.5 + 62 + 60.5 ≈ 213 ms against a floor of 85 ms: not a rate per token (which would say ~1.8 ms each).
        expect(short.donorMs).toBeGreaterThan(200);
        expect(short.useDonor).toBe(false);
        const long = gate.decide({...question, promptTokens: 2000, reusedTokens: 1990, recomputeBudget: 0, donorTokens: 2000})!;
        expect(long.donorMs).toBeLessThan(300); // the fixed part is paid once, however long the donor
        expect(long.useDonor).toBe(true);
    });

    it("fits no steep slope to prompts of about one length where one was slow (a busy machine)", () => {
        // Prefills timed on a 2-core machine while it built: about 0.8 ms a token, one of them 2.5 times that.
        const gate = new CostGate();
        for (const [tokens, ms] of [
            [68, 21],
            [64, 30],
            [70, 152],
            [64, 52],
            [62, 11]
        ] as const)
            gate.observeFloor(tokens, ms);
        // Fitted as a line these lengths give 13 ms a token: a 45-token prompt predicted at 600 ms, so any donor wins.
        expect(gate.prefillMs(45)).toBeGreaterThan(20);
        expect(gate.prefillMs(45)).toBeLessThan(60);
    });

    it("takes restores that cost the same whatever the donor's length as a wait, not a rate per token", () => {
        // 90 ms for donors of 40–120 tokens, a little less for the longer ones (noise): no slope to fit
        const gate = new CostGate();
        for (const tokens of [40, 60, 80, 100, 120]) {
            gate.observeFloor(tokens, tokens * 2);
            gate.observeEdit({donorTokens: tokens, readBytes: 0, readMs: 0, restoreMs: 91 - tokens / 100, editMs: 0, computedTokens: 5, computeMs: 10});
        }
        // a 2000-token donor: ~90 ms of wait, not 2000 × 1.1 ms
        const long = gate.decide({...question, promptTokens: 2000, reusedTokens: 1990, recomputeBudget: 0, donorTokens: 2000})!;
        expect(long.donorMs).toBeLessThan(150);
        expect(long.useDonor).toBe(true);
    });
});
