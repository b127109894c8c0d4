/**
 * The dashboard's figures as text (cards, tooltips, bar labels): pure functions of what the server reported, with their
 * own tests.
 */
import type {CacheStats} from "../../../shared/admin.js";
import type {HealthResponse} from "../../../shared/openai.js";
import {formatPercent} from "../lib/format.js";
import {formatMs} from "../lib/stats.js";

/** A share of something there is none of yet reads "—", as the times do: "0%" would claim a measured rate. */
export function formatShare(share: number, of: number): string {
    return of === 0 ? "—" : formatPercent(share);
}

/** Per-token prefill cost, in ms with enough digits for a fast machine. */
function formatMsPerToken(ms: number): string {
    return `${ms < 0.1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}

/**
 * The "Now" card: the requests being answered and waiting this moment, every scope's (the header's health check,
 * every few seconds), as llama-server's slots show them; "—" where the server does not say (not the owner's key).
 */
export function nowFigures(health: HealthResponse | null): {value: string; hint: string} {
    if (health?.slots_busy == null || health.slots_idle == null) return {value: "—", hint: "requests being answered and waiting, all scopes"};
    const sequences = health.slots_busy + health.slots_idle;
    return {
        value: `${health.slots_busy} answering`,
        hint: `${health.queued ?? 0} waiting · ${health.slots_idle} of ${sequences} ${sequences === 1 ? "sequence" : "sequences"} free · all scopes`
    };
}

/** The time-saved card: the estimate over the window, and what it rests on. */
export function timeSavedFigures(stats: CacheStats): {value: string; hint: string} {
    const {msPerToken, fixedMs, requests} = stats.prefill;
    if (stats.totals.timeSavedMs == null || msPerToken == null)
        return {value: "—", hint: "≈ prefill time saved, estimated from this machine's prefill speed once a request has been served without reuse"};
    return {
        value: `≈ ${formatMs(stats.totals.timeSavedMs)}`,
        hint: `≈ prefill time of the reused tokens, at this machine's prefill speed (${formatMsPerToken(msPerToken)}/token${fixedMs != null && fixedMs > 0 ? ` beyond ${formatMs(fixedMs)} a prefill takes anyway` : ""}; fitted over ${requests} request${requests === 1 ? "" : "s"} without reuse, of every scope); what reuse itself costs (reading, moving, recomputing) is not taken off: TTFT with and without reuse, below, shows the net`
    };
}

/** A bucket's tooltip line under its tokens saved (≈ time saved); empty while the prefill speed is unknown. */
export function bucketTimeSaved(bucket: CacheStats["buckets"][number]): string {
    return bucket.timeSavedMs == null || bucket.reusedTokens === 0 ? "" : `≈ ${formatMs(bucket.timeSavedMs)} of prefill saved`;
}

/** A side of the TTFT comparison: how many requests, and how long their prompts were (the lengths differ). */
export function ttftSide(side: CacheStats["ttft"]["withReuse"]): string {
    return side.medianPromptTokens == null ? String(side.count) : `${side.count}, ~${Math.round(side.medianPromptTokens)} prompt tokens`;
}

/** A bar's label in short lines (a phone's chart has about 120 px a bar): the side, its requests, their prompts' length. */
export function ttftLabel(name: string, side: CacheStats["ttft"]["withReuse"]): string[] {
    const requests = `${side.count} ${side.count === 1 ? "request" : "requests"}`;
    return side.medianPromptTokens == null ? [name, requests] : [name, requests, `~${Math.round(side.medianPromptTokens)} prompt tokens`];
}
