import {SAMPLING_DEFAULTS} from "../../shared/openai.js";
import type {LlamaGrammar, Token} from "node-llama-cpp";
import type {FinishReason, KvShareRecord} from "../../shared/openai.js";

/** Sampling settings after validation and defaults. */
export interface Sampling {
    /** 0 means greedy. */
    temperature: number;
    topP: number;
    topK: number;
    minP: number;
    seed?: number;
    presencePenalty: number;
    frequencyPenalty: number;
    repeatPenalty: number;
    /** Token id → added to its logit (-100: never sampled). */
    logitBias?: ReadonlyMap<number, number>;
}

export const defaultSampling: Sampling = {
    temperature: SAMPLING_DEFAULTS.temperature,
    topP: SAMPLING_DEFAULTS.top_p,
    topK: SAMPLING_DEFAULTS.top_k,
    minP: SAMPLING_DEFAULTS.min_p,
    presencePenalty: SAMPLING_DEFAULTS.presence_penalty,
    frequencyPenalty: SAMPLING_DEFAULTS.frequency_penalty,
    repeatPenalty: SAMPLING_DEFAULTS.repeat_penalty
};

/** Structured output: the answer is constrained to JSON matching `schema` (a JSON Schema in the subset
 * node-llama-cpp turns into a grammar; see the API's `response_format`). */
export interface OutputFormat {
    schema: Record<string, unknown>;
    /** The request field that asked for it (named in a refusal). */
    param: string;
}

/** A generated token's log-probability and the most likely tokens of its step (the API's `logprobs`). */
export interface TokenLogprob {
    text: string;
    /** The token's own bytes (a byte-fallback token is one byte of a character its text cannot show). */
    bytes: number[];
    logprob: number;
    top: Array<{text: string; bytes: number[]; logprob: number}>;
}

/** A prompt token with nothing before it in the computed prompt to score it (the first one): text only. */
export interface UnscoredToken {
    text: string;
    bytes: number[];
    logprob: null;
    top: null;
}

/** Each prompt token's log-probability given the tokens before it (the first one unscored). */
export type PromptLogprobs = Array<TokenLogprob | UnscoredToken>;

/** One generation job, independent of the endpoint that asked for it. */
export interface GenerationJob {
    promptTokens: readonly Token[];
    /** Upper bound on generated tokens; undefined means "until the context is full". */
    maxTokens?: number;
    /** True when the client set max_tokens itself (then prompt + max_tokens must fit). */
    maxTokensExplicit: boolean;
    stops: readonly string[];
    sampling: Sampling;
    /** Constrains sampling to the structured output's grammar. */
    grammar?: LlamaGrammar;
    signal: AbortSignal;
    /** Log-probabilities of the answer's tokens, with this many alternatives each (0-20); undefined: none. */
    logprobs?: number;
    /**
     * Log-probabilities of the prompt's own tokens too, with `logprobs` alternatives each (a text completion's
     * `echo` with `logprobs`, how evaluation harnesses score text): every prompt token is computed then.
     */
    promptLogprobs?: boolean;
    /** Gets the prompt's log-probabilities once they are computed, before any text. */
    onPromptLogprobs?(logprobs: PromptLogprobs): void;
    /** The answer's text shows special tokens' text too (a model's call syntax may be made of them). */
    specialText?: boolean;
    /** Gets each piece of text as soon as it is safe to show, with the log-probabilities of the tokens it
     * completes (when asked for). */
    onText?(text: string, logprobs?: readonly TokenLogprob[]): void;
    /** Time the request arrived, for TTFT. */
    arrivedAt: number;
}

export interface GenerationTimings {
    queueMs: number;
    promptMs: number;
    predictedMs: number;
    ttftMs: number;
}

export interface GenerationResult {
    text: string;
    finishReason: FinishReason | "aborted";
    promptTokens: number;
    completionTokens: number;
    /** Prompt tokens whose KV was reused rather than computed. */
    cachedTokens: number;
    timings: GenerationTimings;
    kvshare: KvShareRecord;
    /** With `logprobs` asked for: one per token of `text`. */
    logprobs?: TokenLogprob[];
    /** With `promptLogprobs` asked for: one per prompt token. */
    promptLogprobs?: PromptLogprobs;
}
