/**
 * Exact prefix reuse (the floor; works with the stock binary): keep the longest common prefix of the
 * sequence's tokens and the target, erase the rest, and evaluate the remainder.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {commonPrefixLength} from "./editPlan.js";
import type {KvReuseReport} from "./report.js";

/** Options of {@link reusePrefix}. */
export interface ReusePrefixOptions {
    /** Sequence whose current KV (its `contextTokens`) is the donor; it becomes the target. */
    readonly sequence: LlamaContextSequence;
    readonly targetTokens: readonly Token[];
    /** See `ApplyEditPlanOptions.leaveLastTokenPending`. Default `true`. */
    readonly leaveLastTokenPending?: boolean;
    /** Reported as the reason (why the floor is used). */
    readonly reason?: string;
    /** Time already spent restoring the donor into `sequence`, added to the report. */
    readonly restoreMs?: number;
}

/** Keep the common prefix of `sequence`'s KV and `targetTokens`, drop the rest, evaluate the remainder. */
export async function reusePrefix(options: ReusePrefixOptions): Promise<KvReuseReport> {
    const {sequence, targetTokens} = options;
    const t0 = performance.now();
    const stateLength = options.leaveLastTokenPending === false ? targetTokens.length : Math.max(0, targetTokens.length - 1);
    const kept = Math.min(commonPrefixLength(sequence.contextTokens, targetTokens), stateLength);
    let t = performance.now();
    if (kept < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{start: kept, end: sequence.nextTokenIndex}]);
    const editMs = performance.now() - t;
    // eraseContextTokenRanges re-evaluates internally when it cannot cut the cache; trust its token state
    const reused = Math.min(commonPrefixLength(sequence.contextTokens, targetTokens), stateLength);
    t = performance.now();
    const rest = targetTokens.slice(reused, stateLength);
    if (rest.length > 0) await sequence.evaluateWithoutGeneratingNewTokens(rest);
    const computeMs = performance.now() - t;
    const restoreMs = options.restoreMs ?? 0;
    return {
        mode: reused > 0 ? "prefix" : "none",
        reason: options.reason ?? "exact prefix reuse",
        reusedTokens: reused,
        computedTokens: stateLength - reused,
        pendingTokens: targetTokens.slice(stateLength),
        timings: {restoreMs, editMs, computeMs, totalMs: restoreMs + performance.now() - t0}
    };
}
