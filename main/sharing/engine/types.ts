import type {Token} from "node-llama-cpp";
import type {KvShareRecord} from "../../../shared/openai.js";
import type {RecomputePolicy} from "../../../shared/settings.js";
import type {GuardVerdict, InPlaceToken} from "../../kv/index.js";
import type {Alignment} from "../align/index.js";
import type {CacheEntry} from "../store/index.js";
import type {CandidatePoint} from "./candidates.js";

/** A prompt on its way through the sharing path (input only: every step returns its results). */
export interface SharedPrompt {
    tokens: readonly Token[];
    /** The text embedded for retrieval and shown to the admin as the cached prompt. */
    text: string;
    /** Sharing scope (see `scopeFor`). */
    scope: string;
    /** Who asks (the request's user): kept with its cached KV, so that what a revoked key sent can be deleted. */
    owner?: string;
    /** The donor cache's epoch when it arrived: cleared since, nothing of this prompt is kept. */
    epoch?: number;
    /** Put token pieces into the hit record (the UI's alignment view asks for it). */
    detail: boolean;
    /** Include the donor's text in the hit record (the machine owner's key only). */
    revealDonor: boolean;
    /** Recompute this share instead of the scope's budget (the quality monitor's replays, a request's own choice). */
    recomputeBudget?: number;
    /** Choose recomputed tokens by this policy instead of the settings' (a request's own choice, benchmarks). */
    recomputePolicy?: RecomputePolicy;
    /** False: this prompt's KV is not kept as a donor (a request that asks not to be cached). */
    store?: boolean;
    /** Every prompt token is computed, none reused (not even the sequence's own prefix): its log-probabilities are read. */
    computeAll?: boolean;
    /** A quality check's replay of a logged request: the donor's use is not counted. */
    replay?: boolean;
    /** Its answer is decoded greedily (no grammar, no prompt scoring): `dhd-guard`'s checks can run on it. */
    guardable?: boolean;
}

export type Stages = NonNullable<KvShareRecord["stages"]>;

/** A cached prompt retrieved for a new one. */
export interface FoundDonor {
    entry: CacheEntry;
    similarity: number;
    exact: boolean;
    /** Eligible whatever the threshold: an exact hit or an admin-marked shared prefix. */
    always: boolean;
}

/** A retrieved donor with the prompt's tokens aligned to its tokens. */
export interface Candidate extends FoundDonor {
    alignment: Alignment;
}

/** Admission's view of a prompt: its embedding, its best donor and how much it should reuse. */
export interface Admission {
    /** The prompt's embedding (null with sharing off); the served prompt is indexed under it. */
    embedding: Float32Array | null;
    /** The donor cache's version it was made against (see `DonorCache.version`). */
    cacheVersion: number;
    stages: Stages;
    best?: Candidate;
    foundCount: number;
    /** Share (0..1) of the prompt's tokens the best donor covers. */
    expectedReuse: number;
    /**
     * Every retrieved candidate, eligible or not under the current threshold, as the what-if curves
     * need them (see `candidateFrontier`).
     */
    candidates: CandidatePoint[];
    /** Why no donor was looked for (the cost gate), when none was. */
    skipped?: string;
}

/** The floor and the knobs `prepare` used, for the request log and the what-if curves. */
export interface PrepareTrace {
    /** Prompt tokens the sequence's own KV already held (exact prefix reuse). */
    prefixFloor: number;
    similarityThreshold: number;
    recomputeBudget: number;
    /** The recompute policy the request was served with (its own, else its scope's). */
    recomputePolicy: RecomputePolicy;
    minGainTokens: number;
    /** With a donor: the prompt tokens left reused at each step of `budgetLadder`. */
    budgetReuse?: number[];
    /** With a donor: its index id (the hit record may show others an opaque one). */
    donorId?: number;
}

/**
 * What the decode loop calls while a sequence with a decode stage answers (the shape of the runtime's decode hooks):
 * `beforeNextToken` after each generated token, and for `dhd-guard` `recheck` before a sampled token is taken: where
 * its runner-up (`margin`, read only for an unsure token) is near, the prompt's KV after the common prefix and
 * `computed` (the cells decoding computed over it) are recomputed at once, and "fixed" says the token is to be
 * sampled again ("done": no more checks).
 */
export interface DecodeStageHooks {
    beforeNextToken(): Promise<void>;
    recheck?(probability: number, taken: number, computed: () => readonly InPlaceToken[], margin: () => Promise<number>): Promise<GuardVerdict>;
}

/**
 * The decode stage of `dhd-decode` and `dhd-guard`: its `hooks` go to the decode loop; `finish` before the sequence
 * is let go resolves to false when the sequence lost part of its prompt's KV (a failed recompute): then it must be
 * cleared, not stored or reused.
 */
export interface DecodeStage {
    /**
     * @param othersWaiting while true, no recompute runs (the compute goes to the waiting requests; a skipped
     * token still counts towards the stage's token cap), and the guard's recompute ends between two batches
     * @param othersServed while true (other requests are being answered), the guard's recompute does not run either:
     * a prefill's worth of the prompt's tail would take its batches from their tokens
     */
    hooks(othersWaiting: () => boolean, othersServed?: () => boolean): DecodeStageHooks;
    finish(): Promise<boolean>;
}

/** A sequence made ready for generation: its KV holds the prompt except `pendingTokens`. */
export interface PreparedSequence {
    pendingTokens: Token[];
    /** `dhd-decode`, `dhd-guard`: kept prompt tokens to recompute in place while decoding, most deviating first. */
    decodeQueue?: InPlaceToken[];
    /**
     * `dhd-guard` on a greedy request, where reused KV is left past the exact common prefix: the prompt's cells past
     * that prefix that the sequence holds before decoding (the pending tokens are decoding's own), all recomputed at
     * once before a possible near tie; `donorKv`: the positions holding donor KV; `checkedFirst`: the
     * first token was checked (not skipped while others waited), so whether it flushed there, and `readFirst`: whether
     * its runner-up was read, say something of the guard's cost.
     */
    guard?: {cells: InPlaceToken[]; donorKv: ReadonlySet<number>; checkedFirst?: boolean; readFirst?: boolean};
    /** Prompt tokens whose KV was not computed for this request. */
    cachedTokens: number;
    record: KvShareRecord;
    trace: PrepareTrace;
}

/** What the pipeline timed of a served prompt, for the cost gate. */
export interface ServedTimings {
    record: KvShareRecord;
    /** From the start of prepare to the first token. */
    promptMs: number;
    /** The decode of the prompt's last token (one pass), where it was the only one pending. */
    lastTokenMs?: number;
    guard?: PreparedSequence["guard"];
}
