import type {RecomputePolicy} from "../../shared/settings.js";
import type {CandidatePoint} from "../sharing/engine/candidates.js";

/**
 * What a budget of the ladder is a share of, as `budgetReuse` was worked out: 2, the kept tokens after an exact
 * common prefix (as the plan spends it); 1, every kept token (records of an earlier version, which carry no mark).
 * The budget curve sums only records of the current basis: the same budget meant other tokens before.
 */
export const BUDGET_BASIS = 2;

/** What the what-if curves need of one logged request. */
export interface WhatIfRow {
    promptTokens: number;
    /** Prompt tokens the request's sequence already held (what a donor must beat). */
    prefixFloor: number;
    minGain: number;
    /** Candidate frontier (see `candidateFrontier`). */
    candidates: CandidatePoint[];
    /** Prompt tokens left reused at each step of `budgetLadder` (donor requests only). */
    budgetReuse: number[] | null;
    /** What those budgets were shares of (see {@link BUDGET_BASIS}); absent: the current basis. */
    budgetBasis?: number;
    /**
     * The recompute policy `budgetReuse` was worked out for (the request's own; a column of the log, not
     * part of the record); null for requests logged before the log kept it.
     */
    recomputePolicy?: RecomputePolicy | null;
    /** Whether the request was served from a donor (a column of the log): what the cost gate and the
     * settings of the time let through, against which the replay's "would have" reads. */
    servedFromDonor?: boolean;
}

/**
 * One request's what-if data as a small binary record (float32 little-endian): prompt tokens, prefix
 * floor, minimum gain, the candidate count and pairs, the budget-step count and values, and the budgets' basis
 * (a record without it is of basis 1). The settings panel reads 10,000 of them at once; decoding these is several
 * times faster than JSON.
 */
export function encodeWhatIf(row: WhatIfRow): Buffer {
    const budget = row.budgetReuse ?? [];
    const values = [
        row.promptTokens,
        row.prefixFloor,
        row.minGain,
        row.candidates.length,
        ...row.candidates.flat(),
        budget.length,
        ...budget,
        row.budgetBasis ?? BUDGET_BASIS
    ];
    const buffer = Buffer.alloc(values.length * 4);
    values.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
    return buffer;
}

/** Reads a record written by {@link encodeWhatIf}; throws on a truncated one. */
export function decodeWhatIf(buffer: Buffer): WhatIfRow {
    const promptTokens = buffer.readFloatLE(0),
        prefixFloor = buffer.readFloatLE(4),
        minGain = buffer.readFloatLE(8);
    const count = buffer.readFloatLE(12);
    const candidates: CandidatePoint[] = new Array(count);
    let at = 16;
    for (let i = 0; i < count; i++, at += 8) candidates[i] = [buffer.readFloatLE(at), buffer.readFloatLE(at + 4)];
    const steps = buffer.readFloatLE(at);
    at += 4;
    let budgetReuse: number[] | null = null;
    if (steps > 0) {
        budgetReuse = new Array(steps);
        for (let i = 0; i < steps; i++, at += 4) budgetReuse[i] = buffer.readFloatLE(at);
    }
    // Records written before the basis was kept end with the budget values.
    const budgetBasis = at + 4 <= buffer.length ? buffer.readFloatLE(at) : 1;
    return {promptTokens, prefixFloor, minGain, candidates, budgetReuse, budgetBasis};
}
