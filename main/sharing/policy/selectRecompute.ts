/**
 * Which target positions to compute when reusing a donor's KV (KVShare, adapted to
 * llama.cpp).
 *
 * KVShare v2 picks the reused tokens to recompute by their V deviation at layer 1 (DHD). That
 * needs partial-layer execution llama.cpp does not have, and scattered positions each cost a
 * weight pass there. So we use the cheap proxy the method doc recommends: the first tokens of each
 * kept run that follows an edit boundary. Those tokens see a changed left context (an insert,
 * replace or delete just before them) and their cached KV deviates most; choosing them also makes
 * every recompute window *contiguous* with the edit before it — one decode call per edit.
 *
 * Always computed (outside the budget): target positions no kept run covers (new and replaced
 * tokens) and the last prompt token (its logits start generation; v2 does the same).
 */
import type {KeptRun, PositionRange} from "../../kv/index.js";

/** Options of {@link selectRecompute}. */
export interface RecomputeOptions {
    /** Share of the kept tokens that may be recomputed (default 0.15, the paper's `has_top_ratio`;
     * it sweeps 0.1–0.4). 0 recomputes only new tokens and the last token, as KVShare v1 did. */
    readonly budgetFraction?: number;
}

/** Result of {@link selectRecompute}. */
export interface RecomputePlan {
    /** Every target position to compute, as sorted, merged, half-open ranges. Pass as the KV edit
     * plan's `computePositions`. */
    readonly ranges: PositionRange[];
    /** Positions no kept run covers (inserted / replaced tokens). */
    readonly newTokens: number;
    /** Kept positions that are recomputed anyway (boundary windows + the last token). */
    readonly recomputedTokens: number;
    /** Kept positions whose donor KV is used as is. */
    readonly reusedTokens: number;
    /** Recompute budget in tokens: ⌊budgetFraction × kept tokens⌋. */
    readonly budget: number;
    /** Kept runs that follow an edit boundary (all but an exact common prefix). */
    readonly boundaryRuns: number;
}

export const DEFAULT_RECOMPUTE_FRACTION = 0.15;

/** Check that runs are sorted, non-overlapping and inside the target; throws otherwise. */
export function validateRuns(runs: readonly KeptRun[], targetLength: number): void {
    let end = 0;
    for (const r of runs) {
        if (
            !Number.isInteger(r.targetStart) ||
            !Number.isInteger(r.donorStart) ||
            !Number.isInteger(r.length) ||
            r.length < 1 ||
            r.donorStart < 0 ||
            r.targetStart < end ||
            r.targetStart + r.length > targetLength
        )
            throw new RangeError(`kept runs must be sorted, non-overlapping and inside the target (length ${targetLength}); bad run ${JSON.stringify(r)}`);
        end = r.targetStart + r.length;
    }
}

/** Sort and merge half-open ranges (touching ranges merge too). */
export function mergeRanges(ranges: readonly PositionRange[]): PositionRange[] {
    const sorted = ranges
        .filter((r) => r.end > r.start)
        .slice()
        .sort((a, b) => a.start - b.start);
    const out: Array<{start: number; end: number}> = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
        else out.push({start: r.start, end: r.end});
    }
    return out;
}

/**
 * Split `budget` tokens over boundary runs: first one token each (the token right after the edit
 * deviates most), boundaries after larger edits first when there is not enough for all; then
 * the rest proportionally to run length (largest remainder), never more than a run holds.
 */
function allocate(budget: number, lengths: readonly number[], editSizes: readonly number[]): number[] {
    const n = lengths.length;
    const quota = new Array<number>(n).fill(0);
    if (n === 0 || budget <= 0) return quota;
    if (budget < n) {
        const order = [...lengths.keys()].sort((a, b) => (editSizes[b] as number) - (editSizes[a] as number) || a - b);
        for (const i of order.slice(0, budget)) quota[i] = 1;
        return quota;
    }
    for (let i = 0; i < n; i++) quota[i] = 1;
    let left = budget - n;
    // Proportional rounds; a round that hits capacity limits frees budget for the next round.
    while (left > 0) {
        const room = lengths.map((len, i) => len - (quota[i] as number));
        const totalRoom = room.reduce((s, x) => s + x, 0);
        if (totalRoom === 0) break;
        const share = Math.min(left, totalRoom);
        const exact = room.map((r) => (share * r) / totalRoom);
        const give = exact.map((x, i) => Math.min(Math.floor(x), room[i] as number));
        let given = give.reduce((s, x) => s + x, 0);
        const byRemainder = [...exact.keys()].sort((a, b) => ((exact[b] as number) % 1) - ((exact[a] as number) % 1) || a - b);
        for (const i of byRemainder) {
            if (given >= share) break;
            if ((give[i] as number) < (room[i] as number)) {
                give[i] = (give[i] as number) + 1;
                given++;
            }
        }
        for (let i = 0; i < n; i++) quota[i] = (quota[i] as number) + (give[i] as number);
        left -= given;
        if (given === 0) break;
    }
    return quota;
}

/**
 * Recompute selection for a target of `targetLength` tokens given the alignment's kept `runs`
 * (sorted by target position, as {@link alignTokens} returns them).
 */
export function selectRecompute(runs: readonly KeptRun[], targetLength: number, options: RecomputeOptions = {}): RecomputePlan {
    const fraction = options.budgetFraction ?? DEFAULT_RECOMPUTE_FRACTION;
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`budgetFraction must be in [0, 1], got ${fraction}`);
    validateRuns(runs, targetLength);
    if (targetLength === 0) return {ranges: [], newTokens: 0, recomputedTokens: 0, reusedTokens: 0, budget: 0, boundaryRuns: 0};

    const kept = runs.reduce((s, r) => s + r.length, 0);
    const budget = Math.floor(fraction * kept);
    const ranges: PositionRange[] = [];

    // Uncovered positions; remember each run's preceding edit size for the allocation.
    const boundary: Array<{run: KeptRun; editSize: number}> = [];
    let t = 0,
        d = 0;
    for (const run of runs) {
        if (run.targetStart > t) ranges.push({start: t, end: run.targetStart});
        // An exact common prefix saw the same left context: its KV is exact, nothing to fix.
        if (!(run.targetStart === 0 && run.donorStart === 0)) boundary.push({run, editSize: run.targetStart - t + Math.abs(run.donorStart - d)});
        t = run.targetStart + run.length;
        d = run.donorStart + run.length;
    }
    if (t < targetLength) ranges.push({start: t, end: targetLength});

    const quota = allocate(
        budget,
        boundary.map((b) => b.run.length),
        boundary.map((b) => b.editSize)
    );
    boundary.forEach((b, i) => {
        if ((quota[i] as number) > 0) ranges.push({start: b.run.targetStart, end: b.run.targetStart + (quota[i] as number)});
    });
    ranges.push({start: targetLength - 1, end: targetLength});

    const merged = mergeRanges(ranges);
    const computed = merged.reduce((s, r) => s + r.end - r.start, 0);
    const newTokens = targetLength - kept;
    return {
        ranges: merged,
        newTokens,
        recomputedTokens: computed - newTokens,
        reusedTokens: targetLength - computed,
        budget,
        boundaryRuns: boundary.length
    };
}
