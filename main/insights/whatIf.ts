import type {WhatIfCurves} from "../../shared/admin.js";
import {BUDGET_BASIS, type WhatIfRow} from "./whatIfRecord.js";
import {byCountThenPolicy, type RecomputePolicy} from "../../shared/settings.js";
import {budgetLadder} from "../sharing/policy/index.js";

/** The curves are drawn from at most this many of the latest logged requests. */
export const whatIfWindow = 10_000;

/** Threshold steps of the curve: 0, 0.01, …, 1. */
export const thresholdSteps = 101;

/**
 * The last step at or below `similarity` (a candidate is eligible at every threshold ≤ its
 * similarity). Similarities are logged to 4 decimals and stored as float32: a thousandth of a step
 * absorbs the storage error without moving any 4-decimal value across a step.
 */
function lastStep(similarity: number): number {
    return Math.min(thresholdSteps - 1, Math.floor(similarity * (thresholdSteps - 1) + 1e-3));
}

/**
 * Replays admission's decision for every logged request at every threshold step (a hit: served from
 * a donor's KV): the best candidate
 * at or above the threshold is the donor when it beats the request's prefix floor by the minimum
 * gain (as `SharingEngine.prepare` decides), else the floor is what is reused. Each frontier
 * candidate wins over one contiguous range of steps, so a request adds its few ranges to
 * difference arrays: O(rows × frontier + steps), milliseconds for 10,000 requests.
 */
export function thresholdCurve(rows: readonly WhatIfRow[]): Omit<WhatIfCurves["threshold"], "agreement"> {
    const n = thresholdSteps;
    const donors = new Float64Array(n + 1);
    const anyReuse = new Float64Array(n + 1);
    const reused = new Float64Array(n + 1);
    const add = (from: number, to: number, donorTokens: number, floor: number, minGain: number): void => {
        if (to < from) return;
        const donor = donorTokens > 0 && donorTokens >= floor + minGain;
        const tokens = donor ? donorTokens : floor;
        if (donor) {
            donors[from]! += 1;
            donors[to + 1]! -= 1;
        }
        if (tokens > 0) {
            anyReuse[from]! += 1;
            anyReuse[to + 1]! -= 1;
            reused[from]! += tokens;
            reused[to + 1]! -= tokens;
        }
    };
    let promptTokens = 0;
    for (const row of rows) {
        promptTokens += row.promptTokens;
        const frontier = row.candidates;
        // Above the most similar candidate: no donor, the floor only.
        const top = frontier.length === 0 ? -1 : lastStep(frontier[0]![0]);
        add(top + 1, n - 1, 0, row.prefixFloor, row.minGain);
        // Candidate k wins from just above the next (less similar, more useful) one's last step up to its own.
        for (let k = 0; k < frontier.length; k++) {
            const below = k + 1 < frontier.length ? lastStep(frontier[k + 1]![0]) : -1;
            add(below + 1, lastStep(frontier[k]![0]), frontier[k]![1], row.prefixFloor, row.minGain);
        }
    }
    const count = Math.max(1, rows.length);
    const x = Array.from({length: n}, (_, i) => i / (n - 1));
    const hitRate: number[] = [];
    const anyReuseRate: number[] = [];
    const reusedTokens: number[] = [];
    let d = 0,
        a = 0,
        r = 0;
    for (let i = 0; i < n; i++) {
        d += donors[i]!;
        a += anyReuse[i]!;
        r += reused[i]!;
        hitRate.push(d / count);
        anyReuseRate.push(a / count);
        reusedTokens.push(r);
    }
    return {x, hitRate, anyReuseRate, reusedTokens, promptTokens};
}

/**
 * Prompt tokens the donor requests served with `policy` would have left reused at each budget of the
 * ladder (a budget recomputes different tokens, or none, under different policies), and how many donor
 * requests each policy served, most first: the other curves there are to show. Donor requests logged by an
 * earlier version (before the log kept their policy, or when a budget was a share of every kept token) are on no
 * curve (`unattributed` counts them).
 */
export function budgetCurve(
    rows: readonly WhatIfRow[],
    policy: RecomputePolicy
): {x: number[]; reusedTokens: number[]; donorRequests: number; policies: Array<{policy: RecomputePolicy; donorRequests: number}>; unattributed: number} {
    const reusedTokens = new Array<number>(budgetLadder.length).fill(0);
    const perPolicy = new Map<RecomputePolicy, number>();
    let unattributed = 0;
    for (const row of rows) {
        if (row.budgetReuse == null || row.budgetReuse.length !== budgetLadder.length) continue;
        // Logged by an earlier version: without its policy, or with budgets that were shares of other tokens.
        if (row.recomputePolicy == null || (row.budgetBasis ?? BUDGET_BASIS) !== BUDGET_BASIS) {
            unattributed++;
            continue;
        }
        perPolicy.set(row.recomputePolicy, (perPolicy.get(row.recomputePolicy) ?? 0) + 1);
        if (row.recomputePolicy === policy) row.budgetReuse.forEach((tokens, i) => (reusedTokens[i]! += tokens));
    }
    const policies = [...perPolicy].map(([p, donorRequests]) => ({policy: p, donorRequests})).sort(byCountThenPolicy((p) => p.donorRequests));
    return {x: [...budgetLadder], reusedTokens, donorRequests: perPolicy.get(policy) ?? 0, policies, unattributed};
}
