/**
 * Test-only reference for `applyEditPlan` (not a test file itself): the same edit built left to right, each
 * compute run decoded at the end of the target, so llama.cpp's stock consecutive-position check holds and
 * no relaxed batch is needed (one decode per run: slower, never used by the app). The app's batched build
 * must give the same KV, which kvEditing.test.ts checks through greedy continuations.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {moveKeptCells, type ApplyEditPlanOptions} from "../applyEditPlan.js";
import {normalizeEditPlan} from "../editPlan.js";
import {adoptNativeSequenceState, contextLockScope, decodeAtPositions, sequenceEvaluateLockScope, sequenceIdOf, withNlcLocks} from "../internals.js";
import {requirePatchedAddon} from "../nativeSupport.js";
import {restoreIntoSequenceIdLocked} from "../snapshot.js";

/** Build `targetTokens` (all but the last, which is returned pending) from the donor following `plan`, left to right. */
export async function applyEditPlanSequentially(
    options: Omit<ApplyEditPlanOptions, "leaveLastTokenPending"> & {
        /** Where the donor's KV is moved before its runs are copied into the target one by one. */
        scratchSequence: LlamaContextSequence;
    }
): Promise<{pendingTokens: Token[]; reusedTokens: number; computedTokens: number}> {
    const {context, targetSequence: target, scratchSequence: scratch, donor, targetTokens} = options;
    const addon = requirePatchedAddon(context);
    const stateLength = targetTokens.length - 1;
    const plan = normalizeEditPlan(options.plan, donor.snapshot.tokens, targetTokens, stateLength);
    const targetId = sequenceIdOf(target);
    const scratchId = sequenceIdOf(scratch);
    await withNlcLocks([sequenceEvaluateLockScope(target), sequenceEvaluateLockScope(scratch)], async () => {
        await target.clearHistory();
        await scratch.clearHistory();
        await withNlcLocks([contextLockScope(context)], () => {
            restoreIntoSequenceIdLocked(context, scratchId, donor.snapshot);
            moveKeptCells(addon, scratchId, plan);
        });
        for (const segment of plan.segments) {
            const end = segment.targetStart + segment.length;
            if (segment.kind === "keep")
                await withNlcLocks([contextLockScope(context)], () => addon.copySequenceTokenCells(scratchId, targetId, segment.targetStart, end));
            else await decodeAtPositions(target, segment.targetStart, targetTokens.slice(segment.targetStart, end)); // continues the sequence
        }
        await withNlcLocks([contextLockScope(context)], () => addon.removeTokenCellsFromSequence(scratchId, 0, -1));
        adoptNativeSequenceState(target, targetTokens.slice(0, stateLength));
    });
    return {pendingTokens: targetTokens.slice(stateLength), reusedTokens: plan.reusedTokens, computedTokens: plan.computedTokens};
}
