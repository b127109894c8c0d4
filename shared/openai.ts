/**
 * The subset of the OpenAI HTTP API that KVShare Desktop serves, shared by the server (main),
 * the HTTP backend of the renderer and the tests. Field names follow OpenAI exactly.
 */
import type {RecomputePolicy} from "./settings.js";

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

/** A content part of a chat message; only text parts are understood, others are rejected. */
export interface ChatContentPart {
    type: string;
    text?: string;
}

export interface ChatMessage {
    role: ChatRole;
    content: string | ChatContentPart[] | null;
    name?: string;
}

/** Sampling fields accepted by both completion endpoints. */
export interface SamplingFields {
    model?: string;
    max_tokens?: number | null;
    max_completion_tokens?: number | null;
    temperature?: number | null;
    top_p?: number | null;
    top_k?: number | null;
    min_p?: number | null;
    seed?: number | null;
    stop?: string | string[] | null;
    presence_penalty?: number | null;
    frequency_penalty?: number | null;
    repeat_penalty?: number | null;
    n?: number | null;
    user?: string;
    stream?: boolean | null;
    stream_options?: {include_usage?: boolean} | null;
    /** Structured output: the answer held to JSON (any object, or matching a JSON Schema). */
    response_format?:
        {type: "text"} | {type: "json_object"; schema?: object} | {type: "json_schema"; json_schema: {name?: string; schema: object; strict?: boolean}} | null;
    /** KVShare's own choices for this request. */
    x_kvshare?: KvShareRequestOptions | null;
}

/** Log-probabilities as each route asks for them: chat a flag and a count, text completions the count. */
export interface ChatLogprobFields {
    logprobs?: boolean | null;
    top_logprobs?: number | null;
}

/** A request's own recompute choices (`x_kvshare` in a completion body); what is left out follows the settings. */
export interface KvShareRequestOptions {
    /** How the recomputed tokens are chosen (default: `sharing.recomputePolicy`). */
    recompute_policy?: RecomputePolicy;
    /** Share (0..1) of kept tokens recomputed (default: the scope's `recomputeBudget`). */
    recompute_budget?: number;
    /** false: this prompt's KV is not kept as a donor for later requests. */
    store?: boolean;
}

export interface ChatCompletionRequest extends SamplingFields, ChatLogprobFields {
    messages: ChatMessage[];
}

export interface CompletionRequest extends SamplingFields {
    prompt: string | string[];
    echo?: boolean;
    suffix?: string | null;
    logprobs?: number | null;
}

export interface EmbeddingRequest {
    model?: string;
    input: string | string[];
    encoding_format?: "float" | "base64";
    dimensions?: number;
    user?: string;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "function_call";

export interface Usage {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: {cached_tokens: number};
}

/** Per-request timings, in the spirit of llama-server's `timings` block. */
export interface Timings {
    /** Prompt tokens whose KV came from a cache instead of being computed. */
    cache_n: number;
    /** Prompt tokens computed for this request. */
    prompt_n: number;
    prompt_ms: number;
    prompt_per_second: number;
    predicted_n: number;
    predicted_ms: number;
    predicted_per_second: number;
    /** Time from the request's arrival to its first generated token. */
    ttft_ms: number;
    /** Time spent waiting for a free sequence. */
    queue_ms: number;
}

/** A stretch of prompt positions with one reuse label (for the UI's hit strip). */
export interface KvShareSegment {
    label: "reused" | "recomputed" | "new";
    start: number;
    end: number;
}

/** The donor prompt whose KV was reused (only ever one from the requester's own sharing scope). */
export interface KvShareDonor {
    id: number;
    /** Cosine similarity of the prompt embeddings (1 for an exact hit). */
    similarity: number;
    exact: boolean;
    /**
     * The donor's text: only for the app's own key (the machine owner), never for issued keys, and only where the
     * donor is the same sender's prompt (or a marked shared prefix): under the app's key every profile asks.
     */
    prompt?: string;
    /** True where the donor is another sender's prompt, its text withheld (`prompt` and `donor_pieces` absent). */
    prompt_hidden?: boolean;
    tokens: number;
    /** Where its KV came from: the memory tier or a snapshot file. */
    tier?: "memory" | "disk";
}

/**
 * How a prompt's KV was obtained: "none" (full prefill), "prefix" (exact prefix of cached KV),
 * "semantic" (a donor's KV edited to the prompt). The KV layer reports the same modes.
 */
export type KvShareMode = "none" | "prefix" | "semantic";

/** What the server says about cache reuse for one request: the hit record. */
export interface KvShareRecord {
    mode: KvShareMode;
    prompt_tokens: number;
    /** Prompt tokens whose KV came from the cache unchanged. */
    reused_tokens: number;
    /** Prompt tokens computed: new or replaced ones, plus recomputed kept ones. */
    computed_tokens: number;
    /** Of the computed ones, how many were kept tokens recomputed for quality (the budget). */
    recomputed_tokens: number;
    /** The sharing scope the request ran in. */
    scope?: string;
    donor?: KvShareDonor;
    /** Per-position labels as runs (only with the semantic path). */
    segments?: KvShareSegment[];
    /** Kept runs: donor positions → prompt positions. */
    runs?: Array<{donor_start: number; target_start: number; length: number}>;
    /**
     * With `x_kvshare_detail: true`: the prompt's tokens as text pieces, and (app key only) the donor's,
     * to draw the alignment.
     */
    prompt_pieces?: string[];
    donor_pieces?: string[];
    /** Milliseconds per stage before decoding (`probe_ms`: the deviation probe of the probing policies). */
    stages?: {embed_ms: number; retrieve_ms: number; align_ms: number; restore_ms: number; edit_ms: number; compute_ms: number; probe_ms?: number};
    /** The recompute policy that chose the recomputed tokens (a probing policy that could not probe says `boundary`). */
    recompute_policy?: string;
    /**
     * Reused prompt tokens whose KV was recomputed in place while decoding after all (`dhd-decode`, `dhd-guard`), and
     * what that held decoding up; `flushed_at`: `dhd-guard` recomputed the KV after the common prefix at once (every
     * reused token past it, and the cells computed over them; `tokens` says how many reused ones, fewer where a request
     * that came meanwhile or a stop ended it between two batches) before the answer's token of this index (0: the
     * first), which may have been a near tie.
     */
    decode_recompute?: {tokens: number; ms: number; flushed_at?: number};
    /** Why reuse was limited, when it was (e.g. stock binary: prefix reuse only). */
    note?: string;
    /** Earlier messages left out so the conversation fits the model's context (`context_overflow: "drop_oldest"`). */
    dropped_messages?: number;
}

/** One token of a chat answer with its log-probability (`logprobs: true`), and `top_logprobs` alternatives. */
export interface ChatTokenLogprob {
    token: string;
    logprob: number;
    /** The token's UTF-8 bytes (of its text as detokenized). */
    bytes: number[];
    top_logprobs: Array<{token: string; logprob: number; bytes: number[]}>;
}

/** `choices[].logprobs` of a chat answer or chunk. */
export interface ChatLogprobs {
    content: ChatTokenLogprob[];
    refusal: null;
}

/** `choices[].logprobs` of a text completion (the legacy shape). */
export interface CompletionLogprobs {
    tokens: string[];
    /** null for a token nothing before it scores (an echoed prompt's first). */
    token_logprobs: Array<number | null>;
    top_logprobs: Array<Record<string, number> | null>;
    /** Each token's character offset in the choice's text (after an echoed prompt). */
    text_offset: number[];
}

/** A function call in an answer (`tool_choice` "required" or named). */
export interface ChatToolCall {
    id: string;
    type: "function";
    function: {name: string; arguments: string};
}

export interface ChatCompletion {
    id: string;
    object: "chat.completion";
    created: number;
    model: string;
    system_fingerprint: string;
    choices: Array<{
        index: number;
        message: {role: "assistant"; content: string | null; tool_calls?: ChatToolCall[]; function_call?: ChatToolCall["function"]};
        finish_reason: FinishReason;
        logprobs: ChatLogprobs | null;
    }>;
    usage: Usage;
    timings: Timings;
    x_kvshare: KvShareRecord;
}

export interface ChatCompletionChunk {
    id: string;
    object: "chat.completion.chunk";
    created: number;
    model: string;
    system_fingerprint: string;
    choices: Array<{
        index: number;
        delta: {role?: "assistant"; content?: string | null; tool_calls?: Array<ChatToolCall & {index: number}>; function_call?: ChatToolCall["function"]};
        finish_reason: FinishReason | null;
        logprobs: ChatLogprobs | null;
    }>;
    usage?: Usage | null;
    timings?: Timings;
    x_kvshare?: KvShareRecord;
}

export interface Completion {
    id: string;
    object: "text_completion";
    created: number;
    model: string;
    system_fingerprint: string;
    choices: Array<{index: number; text: string; finish_reason: FinishReason | null; logprobs: CompletionLogprobs | null}>;
    usage?: Usage | null;
    timings?: Timings;
    x_kvshare?: KvShareRecord;
}

export interface ModelObject {
    id: string;
    object: "model";
    created: number;
    owned_by: string;
    /**
     * Extra, non-OpenAI: context size per sequence, parallel sequences, whether KV editing is on, and the
     * llama.cpp build loaded (backend, KVShare patch, GPU devices; `build_notice`: what is lost and what to run).
     */
    meta?: {
        context_size: number;
        parallel: number;
        architecture: string;
        kv_editing: boolean;
        backend?: "cpu" | "vulkan" | "cuda" | "metal";
        kvshare_patched?: boolean;
        devices?: string[];
        build_notice?: string;
    };
}

export interface ModelList {
    object: "list";
    data: ModelObject[];
}

export interface EmbeddingResponse {
    object: "list";
    data: Array<{object: "embedding"; index: number; embedding: number[] | string}>;
    model: string;
    usage: {prompt_tokens: number; total_tokens: number};
}

export type ApiErrorType =
    | "invalid_request_error"
    | "authentication_error"
    | "permission_error"
    | "not_found_error"
    | "exceed_context_size_error"
    | "rate_limit_error"
    | "unavailable_error"
    | "server_error";

/** OpenAI-style error body. */
export interface ApiErrorBody {
    error: {message: string; type: ApiErrorType; param: string | null; code: string | null};
}

export interface HealthResponse {
    status: "ok" | "loading" | "error";
    /** The rest only for the app's own key: the public answer is up/down alone. */
    model?: string | null;
    slots_idle?: number;
    slots_busy?: number;
    queued?: number;
}

/** The sampling fields (OpenAI's names, and llama.cpp's for its own samplers) the UI lets a user set per chat. */
export interface ChatParams {
    temperature?: number;
    top_p?: number;
    max_tokens?: number;
    seed?: number;
    top_k?: number;
    min_p?: number;
    repeat_penalty?: number;
}

/**
 * What a request that leaves a sampler unset is sampled with: the server's defaults (`/props` says them), and what the
 * chat settings' hints say an empty field means.
 */
export const SAMPLING_DEFAULTS = {temperature: 0.8, top_p: 0.95, top_k: 40, min_p: 0.05, repeat_penalty: 1, presence_penalty: 0, frequency_penalty: 0} as const;

/** Every field of {@link ChatParams}: what a chat keeps, a save is checked for and a file of chats is read for. */
export const CHAT_PARAM_KEYS = ["temperature", "top_p", "max_tokens", "seed", "top_k", "min_p", "repeat_penalty"] as const satisfies ReadonlyArray<
    keyof ChatParams
>;
