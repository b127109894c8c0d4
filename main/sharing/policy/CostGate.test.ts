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

    it("takes the donor where prefill is expensive (a large model)", () => {
        const answer = trained(5, 0.01, 5)!.decide(question)!;
        expect(answer.useDonor).toBe(true);
        expect(answer.donorMs).toBeLessThan(answer.floorMs);
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

    it("keeps a prompt as a donor only where its best use beats a prefill (one in eight otherwise)", () => {
        expect(new CostGate().worthCaching(300, 0.15)).toBe(true);
        const large = trained(0.5, 0.01, 0.5);
        expect(Array.from({length: 16}, () => large.worthCaching(300, 0.15)).every(Boolean)).toBe(true);
        const tiny = trained(0.01, 0.05, 0.05);
        expect(Array.from({length: 16}, () => tiny.worthCaching(300, 0.15)).filter(Boolean)).toHaveLength(2);
    });

    it("counts the disk read for a donor not in memory", () => {
        const gate = trained(0.1, 0.001, 0.1);
        const inMemory = gate.decide(question)!;
        const onDisk = gate.decide({...question, inMemory: false, donorBytes: 400_000_000})!;
        expect(onDisk.donorMs).toBeGreaterThan(inMemory.donorMs);
    });

    it("lets one donor through after a run of skips, so its rates stay current", () => {
        const gate = trained(0.01, 0.05, 0.05);
        const decisions = Array.from({length: 8}, () => gate.decide(question)!.useDonor);
        expect(decisions.slice(0, 7).every((use) => !use)).toBe(true);
        expect(decisions[7]).toBe(true);
    });
});
