import type {ChatStreamResult} from "../../../shared/backend.js";
import type {AnswerStats} from "./types.js";

export interface ClientTiming {
    /** ms from sending to the first text, measured by the page. */
    firstTextMs?: number;
    elapsedMs: number;
    /** Text pieces that streamed (about one per token): the size of an answer stopped before the server counted it. */
    streamedPieces?: number;
}

/** Condenses a stream result (usage, timings, x_kvshare) into what is shown under an answer. */
export function statsFromResult(result: ChatStreamResult, client: ClientTiming): AnswerStats {
    const stats: AnswerStats = {finishReason: result.finishReason, elapsedMs: Math.round(client.elapsedMs)};
    const {usage, timings, kvshare} = result;
    if (usage) {
        stats.promptTokens = usage.prompt_tokens;
        stats.completionTokens = usage.completion_tokens;
        stats.cachedTokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
    }
    if (timings) {
        if (Number.isFinite(timings.predicted_per_second) && timings.predicted_n > 0) stats.tokensPerSecond = timings.predicted_per_second;
        if (Number.isFinite(timings.ttft_ms)) stats.ttftMs = timings.ttft_ms;
        stats.promptTokens ??= timings.prompt_n + timings.cache_n;
        stats.cachedTokens ??= timings.cache_n;
        stats.completionTokens ??= timings.predicted_n;
    }
    if (stats.ttftMs === undefined && client.firstTextMs !== undefined) stats.ttftMs = Math.round(client.firstTextMs);
    if (stats.completionTokens === undefined && client.streamedPieces !== undefined && client.streamedPieces > 0) stats.streamedPieces = client.streamedPieces;
    if (kvshare) stats.kvMode = kvshare.mode;
    return stats;
}

export function formatMs(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatRate(perSecond: number): string {
    return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)} tok/s`;
}
