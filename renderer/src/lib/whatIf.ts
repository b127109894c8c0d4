import {parseDecimal} from "./decimal.js";
import type {WhatIfCurves} from "../../../shared/admin.js";

/** What the threshold curve says about one threshold value. */
export interface ThresholdPoint {
    threshold: number;
    /** Share of requests served from a donor. */
    hitRate: number;
    /** Share reusing any KV (own prefix included). */
    anyReuseRate: number;
    reusedTokens: number;
    /** Reused share of the logged prompt tokens. */
    reusedShare: number;
}

/** The curve's value at `threshold` (the nearest step at or below it: a request qualifies at ≥ its similarity). */
export function thresholdPoint(curves: WhatIfCurves, threshold: number): ThresholdPoint | null {
    const {x, hitRate, anyReuseRate, reusedTokens, promptTokens} = curves.threshold;
    if (!Number.isFinite(threshold) || x.length === 0 || curves.requests === 0) return null;
    const clamped = Math.min(1, Math.max(0, threshold));
    // Steps are 0.01 apart: a request at similarity s counts for every step ≤ s, so round up.
    const index = Math.min(x.length - 1, Math.ceil(clamped * (x.length - 1) - 1e-9));
    return {
        threshold: clamped,
        hitRate: hitRate[index]!,
        anyReuseRate: anyReuseRate[index]!,
        reusedTokens: reusedTokens[index]!,
        reusedShare: promptTokens > 0 ? reusedTokens[index]! / promptTokens : 0
    };
}

/** Reused prompt tokens at a budget, interpolated between the ladder's steps. */
export function budgetReuseAt(curves: WhatIfCurves, budget: number): number | null {
    const {x, reusedTokens, donorRequests} = curves.budget;
    if (!Number.isFinite(budget) || donorRequests === 0 || x.length === 0) return null;
    const b = Math.min(1, Math.max(0, budget));
    for (let i = 1; i < x.length; i++) {
        if (b <= x[i]!) {
            const t = (b - x[i - 1]!) / (x[i]! - x[i - 1]!);
            return reusedTokens[i - 1]! + t * (reusedTokens[i]! - reusedTokens[i - 1]!);
        }
    }
    return reusedTokens.at(-1)!;
}

/** A typed number, or null when the text is not one (the curve then shows only the saved value). */
export function typedNumber(text: string): number | null {
    const value = parseDecimal(text);
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}
