import {describe, expect, it} from "vitest";
import {LineFit} from "./lineFit.js";

const fitOf = (points: Array<[number, number]>, minRelativeSpread = 0): LineFit => {
    const fit = new LineFit(1, minRelativeSpread);
    for (const [tokens, ms] of points) fit.add(tokens, ms);
    return fit;
};

describe("LineFit", () => {
    it("separates a fixed part from the per-token one where the token counts spread", () => {
        const line = fitOf([
            [50, 80],
            [100, 130],
            [400, 430]
        ]).line();
        expect(line.perToken).toBeCloseTo(1, 9);
        expect(line.fixed).toBeCloseTo(30, 9);
    });

    it("with a spread asked for, takes the rate through the origin for near-equal counts, where the slope is noise", () => {
        // Two prompts of about 50 tokens: fitted, the slope is 0 one time and ten times the rate the next.
        expect(
            fitOf([
                [50, 30],
                [52, 29]
            ]).line().perToken
        ).toBe(0);
        expect(
            fitOf([
                [50, 30],
                [51, 36]
            ]).line().perToken
        ).toBeCloseTo(6, 9);
        expect(
            fitOf(
                [
                    [50, 30],
                    [52, 29]
                ],
                0.04
            ).line()
        ).toEqual({perToken: 59 / 102, fixed: 0});
        expect(
            fitOf(
                [
                    [50, 30],
                    [51, 36]
                ],
                0.04
            ).line()
        ).toEqual({perToken: 66 / 101, fixed: 0});
        // Spread enough, but falling: not trusted either.
        expect(
            fitOf(
                [
                    [50, 60],
                    [200, 40]
                ],
                0.04
            ).line()
        ).toEqual({perToken: 100 / 250, fixed: 0});
    });

    it("for a cost that is mostly a wait, stands in the mean where no slope can be trusted", () => {
        const flat = (points: Array<[number, number]>): {perToken: number; fixed: number} => {
            const fit = new LineFit(1, 0.04, "flat");
            for (const [tokens, ms] of points) fit.add(tokens, ms);
            return fit.line();
        };
        // near-equal counts, and spread ones with a falling slope
        expect(
            flat([
                [50, 30],
                [52, 29]
            ])
        ).toEqual({perToken: 0, fixed: 29.5});
        expect(
            flat([
                [50, 60],
                [200, 40]
            ])
        ).toEqual({perToken: 0, fixed: 50});
        // a slope that can be trusted is kept
        expect(
            flat([
                [50, 80],
                [100, 130],
                [400, 430]
            ]).perToken
        ).toBeCloseTo(1, 9);
    });
});
