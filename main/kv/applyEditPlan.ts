/**
 * Edit plan → KV: build a target sequence's KV from a donor's KV following an edit plan
 * (KVShare "differential editing" on llama.cpp, patched binary only).
 *
 * Steps, all on the target sequence itself (a restored snapshot's cells are private to the sequence they
 * are restored into, so moving them moves no one else's, and edits of different requests need no
 * shared working sequence: they run side by side):
 * 1. restore the donor's KV into the target;
 * 2. remove donor cells that are not kept; shift every kept cell by a large parking offset, then each
 *    kept run from the parking area to its target position (llama.cpp re-rotates K at the next decode);
 * 3. decode every compute run in one batch (or as few batches as the batch size allows, in position
 *    order) with llama.cpp's consecutive-position check relaxed (native/llama.cpp.patch); the causal mask
 *    uses positions, so each computed token attends to all kept and computed cells before it — the same
 *    attention as building the target left to right, one decode per compute run (the test suite keeps
 *    that build as a reference). The decode goes through node-llama-cpp's batching, so the compute of
 *    several edits and other sequences' generation share llama.cpp batches;
 * 4. tell node-llama-cpp which tokens the target now holds, so normal generation continues (internals.ts).
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {InvalidEditPlanError} from "./errors.js";
import {normalizeEditPlan, PARKING_OFFSET, type EditPlan, type NormalizedPlan, type PositionRange} from "./editPlan.js";
import {adoptNativeSequenceState, contextLockScope, decodeAtPositions, sequenceEvaluateLockScope, sequenceIdOf, withNlcLocks} from "./internals.js";
import {requirePatchedAddon, type PatchedAddonContext} from "./nativeSupport.js";
import {relaxPositions} from "./relaxedPositions.js";
import type {KvReuseReport} from "./report.js";
import {restoreIntoSequenceIdLocked, type KvSnapshot} from "./snapshot.js";

/** Where the donor KV comes from: a verified snapshot (read from its file, or held in memory). */
export interface DonorSource {
    readonly snapshot: KvSnapshot;
}

/** Options of {@link applyEditPlan}. */
export interface ApplyEditPlanOptions {
    /** Context created with `kvUnified: true` on the patched binary (see `createKvEditingContext`). */
    readonly context: LlamaContext;
    /** Sequence that receives the target's KV (its previous content is discarded). */
    readonly targetSequence: LlamaContextSequence;
    readonly donor: DonorSource;
    /** The full target prompt tokens. */
    readonly targetTokens: readonly Token[];
    /** Kept runs and extra positions to recompute. */
    readonly plan: EditPlan;
    /**
     * Leave the last target token unevaluated (returned in `pendingTokens`) so the caller's
     * `sequence.evaluate(pendingTokens)` yields logits for generation. Default `true`.
     */
    readonly leaveLastTokenPending?: boolean;
}

/** Result of {@link applyEditPlan}; `mode` is always `"semantic"`. */
export interface EditPlanReport extends KvReuseReport {
    readonly plan: NormalizedPlan;
}

/**
 * Build the KV of `targetTokens` in `targetSequence` from the donor following `plan`.
 * On failure the target is left empty (consistent) and the error is rethrown; the caller should
 * then serve by full prefill.
 */
export async function applyEditPlan(options: ApplyEditPlanOptions): Promise<EditPlanReport> {
    const {context, targetSequence: target, donor, targetTokens} = options;
    const addon = requirePatchedAddon(context);
    if (target.context !== context) throw new InvalidEditPlanError("the target must be a sequence of the given context");
    if (targetTokens.length === 0) throw new InvalidEditPlanError("empty target");
    if (targetTokens.length >= target.contextSize)
        throw new InvalidEditPlanError(`target of ${targetTokens.length} tokens does not fit the context size ${target.contextSize}`);
    const stateLength = options.leaveLastTokenPending === false ? targetTokens.length : targetTokens.length - 1;
    const plan = normalizeEditPlan(options.plan, donor.snapshot.tokens, targetTokens, stateLength);

    const t0 = performance.now();
    let restoreMs = 0;
    let editMs = 0;
    let computeMs = 0;
    const targetId = sequenceIdOf(target);

    await withNlcLocks([sequenceEvaluateLockScope(target)], async () => {
        // node-llama-cpp's own eraser empties it (its predictions, predictor and checkpoints included)
        let t = performance.now();
        await target.clearHistory();
        editMs += performance.now() - t;
        try {
            // 1. donor → target
            t = performance.now();
            await withNlcLocks([contextLockScope(context)], () => restoreIntoSequenceIdLocked(context, targetId, donor.snapshot));
            restoreMs = performance.now() - t;

            // 2. drop unkept cells, park, move runs to their target positions
            t = performance.now();
            await withNlcLocks([contextLockScope(context)], () => moveKeptCells(addon, targetId, plan));
            target.tokenMeter.useTokens(movedTokens(plan), "input"); // re-rotated cells, as node-llama-cpp counts its shifts
            editMs += performance.now() - t;

            // 3. the compute runs, in as few batches as possible
            t = performance.now();
            for (const group of groupComputeRuns(plan, context.batchSize)) {
                await relaxPositions(context, addon, +1);
                try {
                    await Promise.all(group.map(({start, end}) => decodeAtPositions(target, start, targetTokens.slice(start, end))));
                } finally {
                    await relaxPositions(context, addon, -1);
                }
            }
            computeMs += performance.now() - t;

            // 4. the target holds the first stateLength tokens
            adoptNativeSequenceState(target, targetTokens.slice(0, stateLength));
        } catch (err) {
            await withNlcLocks([contextLockScope(context)], () => addon.removeTokenCellsFromSequence(targetId, 0, -1));
            throw err;
        }
    });

    return {
        mode: "semantic",
        reason: "donor KV edited in place (patched binary)",
        reusedTokens: plan.reusedTokens,
        computedTokens: plan.computedTokens,
        pendingTokens: targetTokens.slice(stateLength),
        timings: {restoreMs, editMs, computeMs, totalMs: performance.now() - t0},
        plan
    };
}

/** Split the compute segments, in position order, into groups of at most `batchSize` tokens. */
function groupComputeRuns(plan: NormalizedPlan, batchSize: number): PositionRange[][] {
    const groups: PositionRange[][] = [];
    let current: PositionRange[] = [];
    let room = batchSize;
    for (const segment of plan.segments) {
        if (segment.kind !== "compute") continue;
        let start = segment.targetStart;
        const end = segment.targetStart + segment.length;
        while (start < end) {
            if (room === 0) {
                groups.push(current);
                current = [];
                room = batchSize;
            }
            const take = Math.min(room, end - start);
            current.push({start, end: start + take});
            start += take;
            room -= take;
        }
    }
    if (current.length > 0) groups.push(current);
    return groups;
}

/**
 * Remove unkept cells of `seqId`, then move each kept run to its target position (via the parking offset).
 * Caller holds the context lock. Exported for the test suite's left-to-right reference build.
 */
export function moveKeptCells(addon: PatchedAddonContext, seqId: number, plan: NormalizedPlan): void {
    const byDonor = [...plan.keep].sort((a, b) => a.donorStart - b.donorStart);
    let cursor = 0;
    for (const run of byDonor) {
        if (run.donorStart > cursor) addon.removeTokenCellsFromSequence(seqId, cursor, run.donorStart);
        cursor = run.donorStart + run.length;
    }
    addon.removeTokenCellsFromSequence(seqId, cursor, -1);
    if (byDonor.every((run) => run.donorStart === run.targetStart)) return; // nothing moves (identity / pure prefix / deletions at the end)
    addon.shiftSequenceTokenCells(seqId, 0, -1, PARKING_OFFSET);
    for (const run of byDonor) {
        const from = run.donorStart + PARKING_OFFSET;
        addon.shiftSequenceTokenCells(seqId, from, from + run.length, run.targetStart - run.donorStart - PARKING_OFFSET);
    }
}

/** Kept cells whose position changes (each is re-rotated once by llama.cpp's K-shift). */
function movedTokens(plan: NormalizedPlan): number {
    return plan.keep.reduce((sum, run) => sum + (run.donorStart === run.targetStart ? 0 : run.length), 0);
}
