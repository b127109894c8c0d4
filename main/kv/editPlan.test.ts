import {describe, expect, it} from "vitest";
import {InvalidEditPlanError} from "./errors.js";
import {normalizeEditPlan} from "./editPlan.js";

describe("normalizeEditPlan", () => {
    const donor = [1, 10, 11, 12, 13, 14, 15];
    it("splits kept runs around recomputed positions and leaves the last token pending", () => {
        const target = [1, 10, 11, 99, 12, 13, 14, 15];
        const plan = normalizeEditPlan(
            {
                keptRuns: [
                    {donorStart: 0, targetStart: 0, length: 3},
                    {donorStart: 3, targetStart: 4, length: 4}
                ],
                computePositions: new Set([5])
            },
            donor,
            target,
            target.length - 1
        );
        expect(plan.segments).toEqual([
            {kind: "keep", targetStart: 0, donorStart: 0, length: 3},
            {kind: "compute", targetStart: 3, length: 1},
            {kind: "keep", targetStart: 4, donorStart: 3, length: 1},
            {kind: "compute", targetStart: 5, length: 1},
            {kind: "keep", targetStart: 6, donorStart: 5, length: 1}
        ]);
        expect(plan.reusedTokens).toBe(5);
        expect(plan.computedTokens).toBe(2);
    });

    it("rejects mismatched tokens and overlapping runs", () => {
        expect(() => normalizeEditPlan({keptRuns: [{donorStart: 1, targetStart: 1, length: 2}]}, donor, [1, 10, 12], 2)).toThrow(InvalidEditPlanError);
        expect(() =>
            normalizeEditPlan(
                {
                    keptRuns: [
                        {donorStart: 1, targetStart: 1, length: 2},
                        {donorStart: 1, targetStart: 3, length: 1}
                    ]
                },
                donor,
                [1, 10, 11, 10],
                3
            )
        ).toThrow(InvalidEditPlanError);
    });

    it("clips runs where the donor KV ends (those positions are computed)", () => {
        const target = [1, 10, 11, 12];
        const plan = normalizeEditPlan({keptRuns: [{donorStart: 0, targetStart: 0, length: 4}]}, [1, 10], target, 3);
        expect(plan.segments).toEqual([
            {kind: "keep", targetStart: 0, donorStart: 0, length: 2},
            {kind: "compute", targetStart: 2, length: 1}
        ]);
    });
});
