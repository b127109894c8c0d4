import crypto from "node:crypto";
import type {ChatLogprobs, CompletionLogprobs, FinishReason, Timings, Usage} from "../../shared/openai.js";
import type {GenerationResult, TokenLogprob, UnscoredToken} from "../runtime/types.js";

/** Identifies this build in `system_fingerprint`. */
export const systemFingerprint = "kvshare-0.1";

export function newId(prefix: "chatcmpl" | "cmpl"): string {
    return `${prefix}-${crypto.randomBytes(12).toString("hex")}`;
}

export function unixNow(): number {
    return Math.floor(Date.now() / 1000);
}

export function toUsage(result: GenerationResult): Usage {
    return {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
        prompt_tokens_details: {cached_tokens: result.cachedTokens}
    };
}

export function toTimings(result: GenerationResult): Timings {
    const computed = result.promptTokens - result.cachedTokens;
    const {promptMs, predictedMs, ttftMs, queueMs} = result.timings;
    return {
        cache_n: result.cachedTokens,
        prompt_n: computed,
        prompt_ms: round(promptMs),
        prompt_per_second: promptMs > 0 ? round(computed / (promptMs / 1000)) : 0,
        predicted_n: result.completionTokens,
        predicted_ms: round(predictedMs),
        predicted_per_second: predictedMs > 0 ? round(Math.max(0, result.completionTokens - 1) / (predictedMs / 1000)) : 0,
        ttft_ms: round(ttftMs),
        queue_ms: round(queueMs)
    };
}

/** OpenAI has no "aborted": a generation cut short by the client is reported as "stop". */
export function toFinishReason(reason: GenerationResult["finishReason"]): FinishReason {
    return reason === "length" ? "length" : "stop";
}

function round(value: number): number {
    return Math.round(value * 100) / 100;
}

/** Chat's `logprobs` for some tokens of the answer (all of them, or a chunk's). */
export function toChatLogprobs(entries: readonly TokenLogprob[]): ChatLogprobs {
    return {
        content: entries.map((e) => ({
            token: e.text,
            logprob: e.logprob,
            bytes: e.bytes,
            top_logprobs: e.top.map((t) => ({token: t.text, logprob: t.logprob, bytes: t.bytes}))
        })),
        refusal: null
    };
}

/** Characters as OpenAI's `text_offset` counts them: code points (an emoji is one, not two UTF-16 units). */
export const characters = (text: string): number => [...text].length;

/** Characters (code points) the tokens' text makes, counted from their bytes (a split character is one, once whole). */
export function tokenCharacters(entries: ReadonlyArray<Pick<TokenLogprob, "bytes">>): number {
    return characters(new TextDecoder().decode(Uint8Array.from(entries.flatMap((e) => e.bytes))));
}

/**
 * Text completions' `logprobs` for some tokens of the choice's text (an echoed prompt's, the answer's), `offset`
 * being where the first one's text starts in it, in characters (after an echoed prompt, earlier chunks).
 * Alternatives whose texts coincide keep the likelier. An unscored token (an echoed prompt's first) has nulls.
 */
export function toCompletionLogprobs(entries: ReadonlyArray<TokenLogprob | UnscoredToken>, offset: number): CompletionLogprobs {
    const textOffset: number[] = [];
    let at = offset;
    // Counted from the tokens' bytes: the bytes of a character split over several tokens make one character once
    // all are in (the decoder holds an unfinished character's bytes), whatever the pieces' own texts say.
    const decoder = new TextDecoder();
    for (const e of entries) {
        textOffset.push(at);
        at += characters(decoder.decode(Uint8Array.from(e.bytes), {stream: true}));
    }
    return {
        tokens: entries.map((e) => e.text),
        token_logprobs: entries.map((e) => e.logprob),
        top_logprobs: entries.map((e) => {
            if (e.top == null) return null;
            const top: Record<string, number> = {};
            for (const t of e.top) if (!(t.text in top)) top[t.text] = t.logprob;
            return top;
        }),
        text_offset: textOffset
    };
}
