import type {RecomputePolicy} from "../../shared/settings.js";
import type {CandidatePoint} from "../sharing/engine/candidates.js";

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
 * floor, minimum gain, the candidate count and pairs, the budget-step count and values. The settings
 * panel reads 10,000 of them at once; decoding these is several times faster than JSON.
 */
export function encodeWhatIf(row: WhatIfRow): Buffer {
    const budget = row.budgetReuse ?? [];
    const values = [row.promptTokens, row.prefixFloor, row.minGain, row.candidates.length, ...row.candidates.flat(), budget.length, ...budget];
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
    return {promptTokens, prefixFloor, minGain, candidates, budgetReuse};
}
