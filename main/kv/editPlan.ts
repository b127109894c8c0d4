/**
 * Edit plans: which donor KV runs are kept (and where they go in the target) and which target
 * positions are computed. Pure validation and normalisation; no llama.cpp calls.
 * `KeptRun` and `PositionRange` are defined here only: the aligner (main/sharing/align) produces kept runs
 * and the recompute policy (main/sharing/policy) position ranges of these types.
 */
import {InvalidEditPlanError} from "./errors.js";

/** A run of donor KV cells reused in the target: donor positions `donorStart … donorStart+length−1`
 * become target positions `targetStart … targetStart+length−1`. */
export interface KeptRun {
    readonly donorStart: number;
    readonly targetStart: number;
    readonly length: number;
}

/** Half-open range of target positions `[start, end)`. */
export interface PositionRange {
    readonly start: number;
    readonly end: number;
}

/**
 * Target positions to compute even though a kept run covers them (recompute). Positions no kept run
 * covers are always computed and need not be listed.
 */
export type PositionSet = ReadonlySet<number> | readonly PositionRange[];

/** An edit plan, as produced by a token aligner. */
export interface EditPlan {
    readonly keptRuns: readonly KeptRun[];
    readonly computePositions?: PositionSet;
}

/** One step of building the target left to right. */
export type PlanSegment =
    | {readonly kind: "keep"; readonly targetStart: number; readonly donorStart: number; readonly length: number}
    | {readonly kind: "compute"; readonly targetStart: number; readonly length: number};

/** A validated plan restricted to the first `stateLength` target positions. */
export interface NormalizedPlan {
    /** Contiguous segments covering `[0, stateLength)` in order. */
    readonly segments: readonly PlanSegment[];
    /** Kept segments only (each with a constant donor→target offset). */
    readonly keep: ReadonlyArray<Extract<PlanSegment, {kind: "keep"}>>;
    readonly reusedTokens: number;
    readonly computedTokens: number;
}

/** Offset added to every kept cell before moving each run to its target, so no two ranges collide. */
export const PARKING_OFFSET = 1 << 20;

function isRangeList(set: PositionSet): set is readonly PositionRange[] {
    return Array.isArray(set);
}

/**
 * Validate `plan` against the donor's KV tokens and the target tokens and normalise it for positions
 * `[0, stateLength)`. Runs are clipped where the donor KV ends (those target positions are computed).
 * Throws {@link InvalidEditPlanError} for overlapping runs, runs past the target, or kept tokens that
 * differ between donor and target.
 */
export function normalizeEditPlan(plan: EditPlan, donorTokens: readonly number[], targetTokens: readonly number[], stateLength: number): NormalizedPlan {
    if (!Number.isInteger(stateLength) || stateLength < 0 || stateLength > targetTokens.length)
        throw new InvalidEditPlanError(`state length ${stateLength} outside 0…${targetTokens.length}`);
    if (targetTokens.length + 1 >= PARKING_OFFSET || donorTokens.length >= PARKING_OFFSET)
        throw new InvalidEditPlanError("token lists too long for the parking offset");
    const donorOf = new Int32Array(stateLength).fill(-1);
    const donorUsed = new Uint8Array(donorTokens.length);
    for (const run of plan.keptRuns) {
        const {donorStart, targetStart, length} = run;
        if (![donorStart, targetStart, length].every(Number.isInteger) || donorStart < 0 || targetStart < 0 || length < 0)
            throw new InvalidEditPlanError(`run ${JSON.stringify(run)} has non-integer or negative fields`);
        if (targetStart + length > targetTokens.length)
            throw new InvalidEditPlanError(`run ${JSON.stringify(run)} ends past the target's ${targetTokens.length} tokens`);
        // the donor KV may hold fewer tokens than the donor prompt the aligner saw (its last token is
        // usually not evaluated): positions past the donor KV are not kept, hence computed
        const usable = Math.max(0, Math.min(length, donorTokens.length - donorStart));
        for (let i = 0; i < usable; i++) {
            const d = donorStart + i;
            const t = targetStart + i;
            if (donorTokens[d] !== targetTokens[t])
                throw new InvalidEditPlanError(
                    `run ${JSON.stringify(run)}: donor token ${d} (${donorTokens[d]}) differs from target token ${t} (${targetTokens[t]})`
                );
            if (donorUsed[d] === 1) throw new InvalidEditPlanError(`donor position ${d} is kept twice`);
            donorUsed[d] = 1;
            if (t >= stateLength) continue;
            if (donorOf[t] !== -1) throw new InvalidEditPlanError(`target position ${t} is covered by two runs`);
            donorOf[t] = d;
        }
    }
    const compute = plan.computePositions;
    if (compute != null) {
        if (isRangeList(compute)) {
            for (const {start, end} of compute) for (let p = Math.max(0, start); p < Math.min(end, stateLength); p++) donorOf[p] = -1;
        } else {
            for (const p of compute) if (Number.isInteger(p) && p >= 0 && p < stateLength) donorOf[p] = -1;
        }
    }
    const segments: PlanSegment[] = [];
    let reusedTokens = 0;
    let p = 0;
    while (p < stateLength) {
        const start = p;
        const d0 = donorOf[p] ?? -1;
        if (d0 === -1) {
            while (p < stateLength && donorOf[p] === -1) p++;
            segments.push({kind: "compute", targetStart: start, length: p - start});
        } else {
            while (p < stateLength && donorOf[p] === d0 + (p - start)) p++;
            segments.push({kind: "keep", targetStart: start, donorStart: d0, length: p - start});
            reusedTokens += p - start;
        }
    }
    const keep = segments.filter((s): s is Extract<PlanSegment, {kind: "keep"}> => s.kind === "keep");
    return {segments, keep, reusedTokens, computedTokens: stateLength - reusedTokens};
}

/** Length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
}
