/** What the request log keeps of one served request (the dashboard, the what-if curves, the quality monitor). */
import type {SharingSettings} from "../config/settings.js";
import type {RequestLogEntry} from "../insights/RequestLog.js";
import type {GenerationResult} from "../runtime/types.js";
import {anonymousUser} from "../sharing/engine/scopes.js";
import type {Admission, PreparedSequence, SharedPrompt} from "../sharing/engine/types.js";

/** One served request as the pipeline saw it. */
export interface ServedRequest {
    /** Who asked (undefined: the anonymous user). */
    user: string | undefined;
    prompt: SharedPrompt;
    /** The sharing settings in effect. */
    sharing: SharingSettings;
    admission: Admission;
    prepared: PreparedSequence;
    result: GenerationResult;
    /** How long it waited for a sequence (the dashboard leaves that out of the TTFT it compares). */
    sequenceWaitMs: number;
}

/** The request log's entry for a served request. */
export function servedEntry({user, prompt, sharing, admission, prepared, result, sequenceWaitMs}: ServedRequest): RequestLogEntry {
    const best = admission.candidates.at(-1);
    const semantic = result.kvshare.mode === "semantic";
    const {trace} = prepared;
    return {
        at: Date.now(),
        user: user ?? anonymousUser,
        scope: prompt.scope,
        mode: result.kvshare.mode,
        promptTokens: result.promptTokens,
        reusedTokens: result.cachedTokens,
        completionTokens: result.completionTokens,
        ttftMs: result.timings.ttftMs,
        donorId: semantic ? trace.donorId : undefined,
        recomputedTokens: result.kvshare.recomputed_tokens,
        queueMs: sequenceWaitMs,
        donorSimilarity: result.kvshare.donor?.similarity,
        bestSimilarity: best?.[0],
        reusableTokens: best?.[1] ?? 0,
        prefixFloor: trace.prefixFloor,
        threshold: trace.similarityThreshold,
        budget: trace.recomputeBudget,
        recomputePolicy: trace.recomputePolicy,
        minGain: trace.minGainTokens,
        policy: sharing.scopePolicy,
        // Only requests that went through admission with sharing on feed the what-if curves.
        candidates: sharing.enabled && admission.skipped == null ? admission.candidates : undefined,
        budgetReuse: trace.budgetReuse,
        stages: result.kvshare.stages,
        // a prompt asked not to be kept is not replayed by the quality monitor either
        replayTokens: semantic && prompt.store !== false ? prompt.tokens : undefined
    };
}
