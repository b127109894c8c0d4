import type {Token} from "node-llama-cpp";
import type {KvShareRecord} from "../../../shared/openai.js";
import type {Assessment} from "./SharingEngine.js";

/** A prompt on its way through the sharing path. */
export interface SharedPrompt {
    tokens: readonly Token[];
    /** The text embedded for retrieval and shown to the admin as the cached prompt. */
    text: string;
    /** Sharing scope (see `scopeFor`). */
    scope: string;
    /** Put token pieces into the hit record (the UI's alignment view asks for it). */
    detail: boolean;
    /** Include the donor's text in the hit record (the machine owner's key only). */
    revealDonor: boolean;
    /** Filled by `prepare`, reused by `remember` (embedding once per request). */
    embedding?: Float32Array | null;
    /** Filled by `assess` at admission, used by `prepare`. */
    assessment?: Assessment;
    /** Recompute this share instead of the scope's budget (the quality monitor's replays). */
    recomputeBudget?: number;
    /** A quality check's replay of a logged request: the donor's use is not counted. */
    replay?: boolean;
    /** Filled by `prepare`: what it decided with (the request log keeps it). */
    trace?: PrepareTrace;
}

/** The floor and the knobs `prepare` used, for the request log and the what-if curves. */
export interface PrepareTrace {
    /** Prompt tokens the sequence's own KV already held (exact prefix reuse). */
    prefixFloor: number;
    similarityThreshold: number;
    recomputeBudget: number;
    minGainTokens: number;
    /** With a donor: the prompt tokens left reused at each step of `budgetLadder`. */
    budgetReuse?: number[];
    /** With a donor: its index id (the hit record may show others an opaque one). */
    donorId?: number;
}

/** A sequence made ready for generation: its KV holds the prompt except `pendingTokens`. */
export interface PreparedSequence {
    pendingTokens: Token[];
    /** Prompt tokens whose KV was not computed for this request. */
    cachedTokens: number;
    record: KvShareRecord;
}
