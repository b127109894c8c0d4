import {describe, expect, it} from "vitest";
import type {RecomputePolicy} from "../../shared/settings.js";
import {seededRandom} from "../../test/support/seededRandom.js";
import {alwaysEligible, candidateFrontier, type CandidatePoint} from "../sharing/engine/candidates.js";
import {budgetLadder} from "../sharing/policy/index.js";
import {budgetCurve, thresholdCurve, thresholdSteps} from "./whatIf.js";
import {BUDGET_BASIS, decodeWhatIf, encodeWhatIf, type WhatIfRow} from "./whatIfRecord.js";

function row(candidates: CandidatePoint[], prefixFloor = 0, minGain = 4, promptTokens = 100, budgetReuse: number[] | null = null): WhatIfRow {
    return {promptTokens, prefixFloor, minGain, candidates: candidateFrontier(candidates), budgetReuse};
}

/** Admission at one threshold, candidate by candidate (what the engine does, unoptimised). */
function decide(r: WhatIfRow, threshold: number): {donor: boolean; tokens: number} {
    let best = 0;
    for (const [similarity, tokens] of r.candidates) if (similarity >= threshold - 1e-9 && tokens > best) best = tokens;
    const donor = best > 0 && best >= r.prefixFloor + r.minGain;
    return {donor, tokens: donor ? best : r.prefixFloor};
}

describe("candidateFrontier", () => {
    it("keeps only candidates that win at some threshold, most similar first", () => {
        expect(
            candidateFrontier([
                [0.9, 10],
                [0.8, 5],
                [0.5, 40],
                [0.4, 40],
                [0.2, 60],
                [0.1, 0]
            ])
        ).toEqual([
            [0.9, 10],
            [0.5, 40],
            [0.2, 60]
        ]);
        expect(candidateFrontier([])).toEqual([]);
    });
});

describe("thresholdCurve", () => {
    it("counts a request as a donor hit exactly at the thresholds at or below its candidate's similarity", () => {
        const curve = thresholdCurve([
            row([[0.42, 30]]),
            row(
                [
                    [0.8, 50],
                    [0.3, 90]
                ],
                10
            )
        ]);
        expect(curve.x).toHaveLength(thresholdSteps);
        const at = (t: number) => Math.round(t * 100);
        // 0.3 and below: both from a donor (the second one from its 90-token candidate).
        expect(curve.hitRate[at(0.3)]).toBe(1);
        expect(curve.reusedTokens[at(0.3)]).toBe(30 + 90);
        // 0.43: the first request has no donor left, the second uses its 0.8 candidate.
        expect(curve.hitRate[at(0.43)]).toBe(0.5);
        expect(curve.reusedTokens[at(0.43)]).toBe(50);
        // Above 0.8: only the second request's own prefix (10 tokens) is reused.
        expect(curve.anyReuseRate[at(0.81)]).toBe(0.5);
        expect(curve.hitRate[at(0.81)]).toBe(0);
        expect(curve.reusedTokens[at(0.81)]).toBe(10);
        expect(curve.promptTokens).toBe(200);
    });

    it("keeps the floor when a donor would not beat it by the minimum gain, and counts exact hits at every threshold", () => {
        const curve = thresholdCurve([row([[0.9, 12]], 10, 4), row([[alwaysEligible, 20]], 0, 4)]);
        expect(curve.hitRate.every((rate) => rate === 0.5)).toBe(true);
        expect(curve.reusedTokens.every((tokens) => tokens === 10 + 20)).toBe(true);
    });

    it("agrees with admission replayed request by request at every step (random logs)", () => {
        const random = seededRandom(7);
        const rows = Array.from({length: 300}, () =>
            row(
                Array.from(
                    {length: Math.floor(random() * 5)},
                    () => [random() < 0.1 ? alwaysEligible : Math.round(random() * 1000) / 1000, Math.floor(random() * 80)] as const
                ),
                random() < 0.5 ? 0 : Math.floor(random() * 20),
                Math.floor(random() * 6)
            )
        );
        const curve = thresholdCurve(rows);
        for (let i = 0; i < thresholdSteps; i++) {
            const decisions = rows.map((r) => decide(r, curve.x[i]!));
            expect(curve.hitRate[i]).toBeCloseTo(decisions.filter((d) => d.donor).length / rows.length, 12);
            expect(curve.anyReuseRate[i]).toBeCloseTo(decisions.filter((d) => d.tokens > 0).length / rows.length, 12);
            expect(curve.reusedTokens[i]).toBe(decisions.reduce((sum, d) => sum + d.tokens, 0));
        }
    });
});

describe("what-if records", () => {
    it("round-trip through their binary form, step boundaries included", () => {
        const original = row(
            [
                [0.7, 12],
                [0.3, 40],
                [alwaysEligible, 3]
            ],
            5,
            4,
            321,
            [40, 38, 30]
        );
        const decoded = decodeWhatIf(encodeWhatIf(original));
        expect(decoded.promptTokens).toBe(321);
        expect(decoded.budgetReuse).toEqual([40, 38, 30]);
        expect(decoded.candidates.map(([s, r]) => [Number(s.toFixed(4)), r])).toEqual(original.candidates);
        // 0.7 and 0.3 are not exact in float32: the curve still counts them at exactly 0.7 and 0.3.
        const curve = thresholdCurve([decoded]);
        expect(curve.hitRate[70]).toBe(1);
        expect(curve.reusedTokens[70]).toBe(12);
        expect(curve.reusedTokens[30]).toBe(40);
        expect(decodeWhatIf(encodeWhatIf({...original, budgetReuse: null})).budgetReuse).toBeNull();
        expect(decoded.budgetBasis).toBe(BUDGET_BASIS);
        // A record of an earlier version ends with its budget values: its budgets were shares of every kept token.
        const earlier = encodeWhatIf(original).subarray(0, -4);
        expect(decodeWhatIf(earlier)).toMatchObject({budgetReuse: [40, 38, 30], budgetBasis: 1});
    });
});

describe("budgetCurve", () => {
    const ladder = (base: number) => budgetLadder.map((b) => Math.round(base * (1 - b)));
    const served = (policy: RecomputePolicy | null, reuse: number[] | null): WhatIfRow => ({...row([], 0, 4, 100, reuse), recomputePolicy: policy});

    it("sums the donor requests' reuse at each budget step and skips the others", () => {
        const curve = budgetCurve([served("dhd", ladder(100)), served("dhd", ladder(50)), served("dhd", null)], "dhd");
        expect(curve.x).toEqual([...budgetLadder]);
        expect(curve.donorRequests).toBe(2);
        expect(curve.reusedTokens[0]).toBe(150);
        expect(curve.reusedTokens.at(-1)).toBe(0);
    });

    it("is one recompute policy's curve, and counts the donor requests of every policy", () => {
        const flat = budgetLadder.map(() => 70);
        const rows = [served("none", flat), served("dhd", ladder(100)), served("none", flat), served(null, ladder(80)), served("boundary", null)];
        const none = budgetCurve(rows, "none");
        expect(none.reusedTokens).toEqual(budgetLadder.map(() => 140));
        expect(none.donorRequests).toBe(2);
        // most first; a request logged without its policy belongs to no curve
        expect(none.policies).toEqual([
            {policy: "none", donorRequests: 2},
            {policy: "dhd", donorRequests: 1}
        ]);
        expect(budgetCurve(rows, "dhd").reusedTokens).toEqual(ladder(100));
        expect(budgetCurve(rows, "epic")).toMatchObject({donorRequests: 0, reusedTokens: budgetLadder.map(() => 0)});
        // Rows whose budgets were shares of other tokens (an earlier version's) are on no curve.
        const older = budgetCurve([...rows, {...served("dhd", ladder(10)), budgetBasis: 1}], "dhd");
        expect(older).toMatchObject({reusedTokens: ladder(100), unattributed: budgetCurve(rows, "dhd").unattributed + 1});
        expect(none.unattributed).toBe(1);
    });
});
