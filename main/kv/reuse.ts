/**
 * One entry point for preparing a sequence for a prompt from a donor: KV editing when the binary,
 * the context and the model allow it, exact prefix reuse otherwise, full prefill as the last resort.
 * Every fallback carries a stated reason for the UI, the API's hit record and the log.
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {applyEditPlan, type DonorSource} from "./applyEditPlan.js";
import type {EditPlan} from "./editPlan.js";
import {SnapshotRefusedError} from "./errors.js";
import {checkKvShiftability} from "./guards.js";
import {getKvEditingSupport} from "./nativeSupport.js";
import {reusePrefix} from "./prefixReuse.js";
import type {KvReuseReport} from "./report.js";
import {restoreSnapshot} from "./snapshot.js";

/** Options of {@link reuseKv}. */
export interface ReuseKvOptions {
    readonly context: LlamaContext;
    /** Sequence to prepare. */
    readonly targetSequence: LlamaContextSequence;
    /** Donor KV. When absent the target is prefilled, reusing only the exact prefix of its own current content. */
    readonly donor?: DonorSource;
    readonly targetTokens: readonly Token[];
    /** Edit plan from the aligner; when absent only prefix reuse is attempted. */
    readonly plan?: EditPlan;
    /** Whether the context was created with `swaFullCache: true`. */
    readonly swaFullCache?: boolean;
    /** See `ApplyEditPlanOptions.leaveLastTokenPending`. Default `true`. */
    readonly leaveLastTokenPending?: boolean;
}

/**
 * Prepare `targetSequence` so that it holds the KV of `targetTokens` (minus the pending last token),
 * reusing as much donor KV as allowed. Never throws for an unusable donor: a snapshot llama.cpp refuses
 * or a failed edit falls back to prefix reuse or full prefill, and `reason` says why.
 */
export async function reuseKv(options: ReuseKvOptions): Promise<KvReuseReport> {
    const {context, targetSequence: target, donor, targetTokens, plan} = options;
    const leaveLastTokenPending = options.leaveLastTokenPending;
    const fallbackReasons: string[] = [];

    if (donor != null && plan != null) {
        const refusal = editingRefusal(context, options.swaFullCache ?? false);
        if (refusal != null) fallbackReasons.push(refusal);
        else {
            try {
                return await applyEditPlan({context, targetSequence: target, donor, targetTokens, plan, leaveLastTokenPending});
            } catch (err) {
                fallbackReasons.push(`KV editing failed: ${(err as Error).message}`);
            }
        }
    } else if (donor != null) fallbackReasons.push("no edit plan given");

    // floor: exact prefix reuse
    let restoreMs = 0;
    if (donor != null) {
        const t = performance.now();
        try {
            await restoreSnapshot(target, donor.snapshot);
        } catch (err) {
            if (!(err instanceof SnapshotRefusedError)) throw err;
            fallbackReasons.push(err.message);
            await target.clearHistory();
        }
        restoreMs += performance.now() - t;
    }
    const reason = fallbackReasons.length > 0 ? `no KV editing: ${fallbackReasons.join("; ")}` : "exact prefix reuse";
    return reusePrefix({sequence: target, targetTokens, leaveLastTokenPending, reason, restoreMs});
}

/** Why KV editing cannot be used in `context` (binary, context, model), or undefined; worked out once per context. */
const refusals = new WeakMap<LlamaContext, Map<boolean, string | undefined>>();
function editingRefusal(context: LlamaContext, swaFullCache: boolean): string | undefined {
    let known = refusals.get(context);
    if (known == null) {
        known = new Map();
        refusals.set(context, known);
    }
    if (!known.has(swaFullCache)) {
        const support = getKvEditingSupport(context);
        const shift = support.kvEditingSupported ? checkKvShiftability(context.model, {context, swaFullCache}) : undefined;
        known.set(swaFullCache, !support.kvEditingSupported ? support.reason : shift?.canShift === false ? shift.reason : undefined);
    }
    return known.get(swaFullCache);
}
