/** Result types shared by the reuse strategies. */
import type {Token} from "node-llama-cpp";
import type {KvShareMode} from "../../shared/openai.js";

/** Wall-clock milliseconds spent in each step. */
export interface KvReuseTimings {
    /** Loading donor KV (a snapshot) into the working sequence. */
    readonly restoreMs: number;
    /** Removing, shifting and copying cells, bookkeeping. */
    readonly editMs: number;
    /** Decoding computed tokens (includes llama.cpp's deferred K-shift of moved cells, applied at the first decode). */
    readonly computeMs: number;
    readonly totalMs: number;
}

/** Outcome of preparing a sequence for a target prompt. */
export interface KvReuseReport {
    /**
     * How the target's KV was obtained, in the API's vocabulary (`x_kvshare.mode`): `"semantic"` donor KV
     * moved/edited and the new and recomputed runs decoded; `"prefix"` exact prefix reuse only (the floor:
     * stock binary, unshiftable model, no plan); `"none"` nothing reused, full prefill of the target.
     */
    readonly mode: KvShareMode;
    /** Why this mode was used (fallback reason, or a confirmation). */
    readonly reason: string;
    /** Target positions whose KV came from the donor. */
    readonly reusedTokens: number;
    /** Target positions decoded by this call (excludes {@link pendingTokens}). */
    readonly computedTokens: number;
    /**
     * Target tokens not yet evaluated (by default the last prompt token), to be passed to
     * `sequence.evaluate(...)` so that generation starts with fresh logits.
     */
    readonly pendingTokens: Token[];
    readonly timings: KvReuseTimings;
}
