import {formatMs, formatRate} from "../lib/stats.js";
import type {AnswerStats as Stats} from "../lib/types.js";

export function AnswerStats({stats}: {stats: Stats}) {
    const parts: Array<[string, string, string]> = [];
    if (stats.tokensPerSecond !== undefined) parts.push(["rate", formatRate(stats.tokensPerSecond), "Generation speed"]);
    if (stats.ttftMs !== undefined) parts.push(["ttft", `TTFT ${formatMs(stats.ttftMs)}`, "Time to first token"]);
    if (stats.promptTokens !== undefined) parts.push(["prompt", `${stats.promptTokens} prompt`, "Prompt tokens"]);
    if (stats.cachedTokens !== undefined) parts.push(["cached", `${stats.cachedTokens} cached`, "Prompt tokens whose KV cache was reused"]);
    if (stats.completionTokens !== undefined) parts.push(["completion", `${stats.completionTokens} generated`, "Generated tokens"]);
    else if (stats.streamedPieces !== undefined)
        parts.push(["completion", `~${stats.streamedPieces} generated`, "Generated tokens, counted as the text streamed (about one piece per token)"]);
    if (stats.finishReason === "aborted" && stats.elapsedMs !== undefined)
        parts.push(["elapsed", `stopped after ${formatMs(stats.elapsedMs)}`, "Time until stopped"]);
    return (
        <div className="answer-stats" data-testid="answer-stats" data-finish={stats.finishReason}>
            {stats.finishReason === "aborted" ? (
                <span className="tag tag-aborted" data-testid="aborted-tag">
                    aborted
                </span>
            ) : null}
            {stats.finishReason === "edited" ? (
                <span className="tag" data-testid="edited-tag" title="Written by hand: not the model's answer">
                    edited
                </span>
            ) : null}
            {stats.finishReason === "length" ? (
                <span className="tag" title="Stopped at the max tokens limit">
                    max tokens
                </span>
            ) : null}
            {parts.map(([key, text, title]) => (
                // Not read out as the answer's end is (the log announces what is added): figures to look up, not news.
                <span key={key} className={`stat stat-${key}`} title={title} aria-live="off">
                    {text}
                </span>
            ))}
        </div>
    );
}
