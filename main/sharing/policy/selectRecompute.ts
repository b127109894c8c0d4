/**
 * Which target positions to compute when reusing a donor's KV (KVShare, adapted to llama.cpp), by policy
 * (see `RecomputePolicy` in shared/settings.ts for what each one does).
 *
 * With llama.cpp's position check relaxed (native/llama.cpp.patch) one decode may carry tokens of a
 * sequence at any positions, and attention masks by position, so scattered recompute positions cost one
 * batch like contiguous ones: the measured policies pick single tokens wherever they are.
 *
 * Always computed (outside the budget): target positions no kept run covers (new and replaced tokens) and
 * the last prompt token (its logits start generation; v2 does the same).
 */
import type {RecomputePolicy} from "../../../shared/settings.js";
import type {KeptRun, PositionRange} from "../../kv/index.js";

/** Options of {@link selectRecompute}. */
export interface RecomputeOptions {
    /** Share of the kept tokens after an exact common prefix that may be recomputed (default 0.15, the paper's
     * `has_top_ratio`; it sweeps 0.1–0.4). 0 recomputes only new tokens and the last token, as KVShare v1 did. */
    readonly budgetFraction?: number;
    /** Default `boundary`. The measured policies need `scores`; without them they act as `boundary`. */
    readonly policy?: RecomputePolicy;
    /** Per target position, a kept token's deviation score (higher: recompute first); NaN elsewhere. */
    readonly scores?: Float32Array;
}

/** Policies that rank kept tokens by a probe's deviation scores. */
export function isMeasuredPolicy(policy: RecomputePolicy): boolean {
    return policy === "deviation" || policy === "dhd" || policy === "dhd-decode" || policy === "dhd-guard";
}

/** Whether a policy runs the decode stage (KVShare v2's stage 2). */
export function hasDecodeStage(policy: RecomputePolicy): boolean {
    return policy === "dhd-decode" || policy === "dhd-guard";
}

/**
 * Kept tokens recomputed with each generated token by the decode stage, in its batch: 7, so that a step is a batch of
 * 8. The paper takes 3 (a batch of 4). On a GPU a batch of 4 or 8 is expected to cost about one token's pass (not
 * measured here). On the CPU build a batch of 4 cost as much as one of 8 (the 0.5B dummy, 2 threads; ggml's CPU
 * matrix kernels do not grow evenly with the batch; `npm run bench:backend` prints the curve on the machine at hand),
 * so there 7 recomputes over twice as many tokens per step for the same time.
 */
export const DECODE_RECOMPUTE_PER_STEP = 7;

/**
 * Generated tokens the decode stage rides along with at most. The first tokens of an answer decide where
 * a greedy answer goes, and later ones attend more and more to the answer itself; past this each step
 * would still cost a bigger batch (on the CPU build ~3× a token's time) for the whole of a long answer.
 */
export const DECODE_RECOMPUTE_MAX_STEPS = 64;

/**
 * `dhd-guard` recomputes the KV after the common prefix before taking a token whose runner-up is within this many
 * nats of it: where full prefill's own top two are that close, the small error reused KV leaves in the logits
 * decides between them. The gap over reused KV is not full prefill's: on stories260K one of 0.18 nats under full
 * prefill read over 0.5 over reused KV, and the answer parted there; at 1 nat every guarded answer of the quality
 * workloads is full prefill's.
 */
export const NEAR_TIE_GUARD_NATS = 1;

/**
 * Whether a token sampled with this probability may have had a runner-up within `nats` of it: two within δ nats
 * leave the first at most 1 / (1 + e^-δ) (73% at 1 nat). A screen read for free at each token: only a token under
 * it has its runner-up read (one token's decode).
 */
export function mayBeNearTie(probability: number, nats = NEAR_TIE_GUARD_NATS): boolean {
    return probability < 1 / (1 + Math.exp(-nats));
}

/** Whether a runner-up this many nats behind the token makes it a near tie the guard recomputes for. */
export function isNearTie(margin: number, nats = NEAR_TIE_GUARD_NATS): boolean {
    return margin < nats;
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
    /** Recompute budget in tokens: ⌊budgetFraction × kept tokens after an exact common prefix⌋. */
    readonly budget: number;
    /** Kept runs that follow an edit boundary (all but an exact common prefix). */
    readonly boundaryRuns: number;
    /** The policy that chose the positions (a measured one without scores reads `boundary`). */
    readonly policy: RecomputePolicy;
    /**
     * `dhd-decode` and `dhd-guard` only: kept positions to recompute in place while decoding, highest score first:
     * the measured kept tokens the prefill did not recompute, up to {@link DECODE_RECOMPUTE_MAX_STEPS} steps'
     * worth (tokens with no measured deviation, such as an exact common prefix, are left alone).
     */
    readonly decodeQueue: number[];
    /** Target tokens of an exact common prefix (their KV is a prefill's); 0 without one. */
    readonly commonPrefix: number;
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
    const requested = options.policy ?? "boundary";
    // Without scores a measured policy falls back (and says so), unless there is no budget to spend anyway.
    const policy: RecomputePolicy = isMeasuredPolicy(requested) && options.scores == null && fraction > 0 ? "boundary" : requested;
    if (targetLength === 0)
        return {ranges: [], newTokens: 0, recomputedTokens: 0, reusedTokens: 0, budget: 0, boundaryRuns: 0, policy, decodeQueue: [], commonPrefix: 0};

    const kept = runs.reduce((s, r) => s + r.length, 0);
    const budget = policy === "none" ? 0 : Math.floor(fraction * deviatingKept(runs));
    const ranges: PositionRange[] = [];

    // Uncovered positions; remember each run's preceding edit size for the allocation.
    const boundary: Array<{run: KeptRun; editSize: number}> = [];
    let t = 0,
        d = 0;
    for (const run of runs) {
        if (run.targetStart > t) ranges.push({start: t, end: run.targetStart});
        // An exact common prefix saw the same left context: its KV is exact, nothing to fix.
        if (!isCommonPrefix(run)) boundary.push({run, editSize: run.targetStart - t + Math.abs(run.donorStart - d)});
        t = run.targetStart + run.length;
        d = run.donorStart + run.length;
    }
    if (t < targetLength) ranges.push({start: t, end: targetLength});

    let decodeQueue: number[] = [];
    if (policy === "boundary" || policy === "epic") {
        const lengths = boundary.map((b) => b.run.length);
        const editSizes = boundary.map((b) => b.editSize);
        const quota = policy === "boundary" ? allocate(budget, lengths, editSizes) : allocateEvenly(budget, lengths, editSizes);
        boundary.forEach((b, i) => {
            if ((quota[i] as number) > 0) ranges.push({start: b.run.targetStart, end: b.run.targetStart + (quota[i] as number)});
        });
    } else if (policy !== "none") {
        const measured = options.scores == null ? [] : rankByScore(options.scores, runs, targetLength - 1);
        const ranked = policy === "deviation" ? measured : runStartsFirst(boundary, measured, targetLength - 1, budget);
        for (const position of ranked.slice(0, budget)) ranges.push({start: position, end: position + 1});
        // The rest of the measured tokens (KVShare v2's low-deviation set) is fixed while decoding: the
        // prefill's budget decides the first token, the queue keeps the KV the answer attends to moving
        // towards a prefill's, until it is empty, the answer ends or the step cap is reached.
        if (hasDecodeStage(policy)) decodeQueue = ranked.slice(budget, budget + DECODE_RECOMPUTE_PER_STEP * DECODE_RECOMPUTE_MAX_STEPS);
    }
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
        boundaryRuns: boundary.length,
        policy,
        decodeQueue,
        commonPrefix: runs[0] != null && isCommonPrefix(runs[0]) ? runs[0].length : 0
    };
}

/**
 * DHD's order: the first kept token after each edit, larger edits first, as many as the budget takes; then the
 * other measured tokens by score (so the decode stage's queue is by score alone).
 * A run's first token is the one whose left context changed most, and layer 1's attention-weighted deviation did
 * not rank it high enough: on short paraphrases, where a budget holds little more than the run starts, `dhd` fell
 * below the boundary heuristic (stories260K at 0.15: QQP 69.7% against 77.8%). With the run starts first, `dhd` gained
 * 2.7–4.3 points over `boundary` at budgets 0.05–0.3 where it had gained 1.2–3.7 (`npm run bench:quality -- --scale 3`).
 * `deviation` keeps the measured ranking alone (CacheBlend's).
 */
function runStartsFirst(boundary: ReadonlyArray<{run: KeptRun; editSize: number}>, measured: readonly number[], end: number, budget: number): number[] {
    const starts = boundary
        .filter((b) => b.run.targetStart < end)
        .sort((a, b) => b.editSize - a.editSize || a.run.targetStart - b.run.targetStart)
        .map((b) => b.run.targetStart)
        .slice(0, budget);
    const taken = new Set(starts);
    return [...starts, ...measured.filter((p) => !taken.has(p))];
}

/** EPIC: the same number of first tokens of every run after an edit; what does not divide evenly goes to the larger edits. */
function allocateEvenly(budget: number, lengths: readonly number[], editSizes: readonly number[]): number[] {
    const n = lengths.length;
    const quota = new Array<number>(n).fill(0);
    if (n === 0 || budget <= 0) return quota;
    const each = Math.floor(budget / n);
    let left = budget;
    for (let i = 0; i < n; i++) {
        quota[i] = Math.min(each, lengths[i] as number);
        left -= quota[i] as number;
    }
    const order = [...lengths.keys()].sort((a, b) => (editSizes[b] as number) - (editSizes[a] as number) || a - b);
    for (const i of order) {
        if (left <= 0) break;
        if ((quota[i] as number) < (lengths[i] as number)) {
            quota[i] = (quota[i] as number) + 1;
            left--;
        }
    }
    return quota;
}

/**
 * The kept tokens a recompute budget is a share of: those whose KV can be wrong. An exact common prefix saw the same
 * left context (its KV is a prefill's) and is never recomputed, so counting it would hand a long shared system
 * prompt's budget to the few tokens after it, recomputing most of what reuse saved.
 */
export function deviatingKept(runs: readonly KeptRun[]): number {
    return runs.reduce((sum, run) => sum + (isCommonPrefix(run) ? 0 : run.length), 0);
}

/** A run kept at the start of both prompts: an exact common prefix, whose KV saw the same left context as a prefill's. */
export function isCommonPrefix(run: KeptRun): boolean {
    return run.targetStart === 0 && run.donorStart === 0;
}

/**
 * Kept positions before `end` with a positive score, highest first (ties: earlier first). An exact common
 * prefix is left out: its KV is a prefill's (same left context), whatever rounding the probe shows.
 */
function rankByScore(scores: Float32Array, runs: readonly KeptRun[], end: number): number[] {
    const positions: number[] = [];
    for (const run of runs)
        if (!isCommonPrefix(run))
            for (let p = run.targetStart; p < Math.min(end, run.targetStart + run.length); p++) if ((scores[p] as number) > 0) positions.push(p);
    return positions.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}
