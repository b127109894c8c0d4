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
}

/** A sequence made ready for generation: its KV holds the prompt except `pendingTokens`. */
export interface PreparedSequence {
    pendingTokens: Token[];
    /** Prompt tokens whose KV was not computed for this request. */
    cachedTokens: number;
    record: KvShareRecord;
}
