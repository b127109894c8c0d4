import type {CacheStats, WhatIfCurves} from "../../../shared/admin.js";
import {formatBytes, formatClock, formatPercent, formatSpan} from "../lib/format.js";
import {recomputePolicyLabels} from "../lib/settingsForm.js";
import {formatMs} from "../lib/stats.js";
import {budgetReuseAt, thresholdPoint} from "../lib/whatIf.js";

// What each chart shows, in words with its key numbers: the charts' names for screen readers (see ChartBox).

const requestsText = (n: number): string => `${n} ${n === 1 ? "request" : "requests"}`;

/** The dashboard's bars and line over time. */
export function overTimeSummary(stats: CacheStats): string {
    const {buckets, bucketMs} = stats;
    const sum = (pick: (b: CacheStats["buckets"][number]) => number) => buckets.reduce((n, b) => n + pick(b), 0);
    const requests = sum((b) => b.requests);
    const donorHits = sum((b) => b.donorHits);
    const top = buckets.reduce<CacheStats["buckets"][number] | null>((best, b) => (b.reusedTokens > (best?.reusedTokens ?? 0) ? b : best), null);
    return (
        `Hit rate and tokens saved over the last ${formatSpan(buckets.length * bucketMs)}: ${sum((b) => b.reusedTokens)} prompt tokens saved, ` +
        `${donorHits} of ${requestsText(requests)} served from a donor` +
        (top == null ? "." : `; most in one ${formatSpan(bucketMs)} bar: ${top.reusedTokens} tokens at ${formatClock(top.start, bucketMs < 60_000)}.`)
    );
}

/** The dashboard's TTFT bars. */
/** ", median prompt 40 tokens", or nothing where there is none. */
const promptsText = (tokens: number | null): string => (tokens == null ? "" : `, median prompt ${Math.round(tokens)} tokens`);

export function ttftSummary(stats: CacheStats): string {
    const ms = (value: number | null) => (value == null ? "none" : formatMs(value));
    const {withReuse, withoutReuse} = stats.ttft;
    return (
        `Time to first token, queue wait left out. With reuse (${requestsText(withReuse.count)}${promptsText(withReuse.medianPromptTokens)}): mean ${ms(withReuse.meanMs)}, median ${ms(withReuse.medianMs)}. ` +
        `Without reuse (${requestsText(withoutReuse.count)}${promptsText(withoutReuse.medianPromptTokens)}): mean ${ms(withoutReuse.meanMs)}, median ${ms(withoutReuse.medianMs)}.`
    );
}

/** The dashboard's cache doughnut. */
export function cacheSizeSummary(stats: CacheStats): string {
    const {bytes, budgetBytes, entries} = stats.cache;
    return `Cache snapshots use ${formatPercent(budgetBytes > 0 ? bytes / budgetBytes : 0)} of the budget: ${formatBytes(bytes)} of ${formatBytes(budgetBytes)} in ${entries} ${entries === 1 ? "entry" : "entries"}.`;
}

/** The dashboard's top donors, by their bars' labels. */
export function topDonorsSummary(stats: CacheStats, labels: readonly string[]): string {
    const shown = stats.topDonors.slice(0, 5).map((d, i) => `“${labels[i]}” ${d.hits} ${d.hits === 1 ? "time" : "times"}`);
    return `Prompts reused most as donors: ${shown.join(", ")}${stats.topDonors.length > shown.length ? `, and ${stats.topDonors.length - shown.length} more` : ""}.`;
}

/** The what-if panel's threshold chart, at its ends and at the saved and typed marks. */
export function thresholdSummary(curves: WhatIfCurves, saved: number, typed: number | null): string {
    const {hitRate} = curves.threshold;
    const at = (threshold: number, which: string): string => {
        const point = thresholdPoint(curves, threshold);
        return point == null
            ? ""
            : ` At the ${which} ${threshold}: hit rate ${formatPercent(point.hitRate)}, ${formatPercent(point.reusedShare)} of prompt tokens kept before recompute.`;
    };
    return (
        `Hit rate against the similarity threshold, from ${formatPercent(hitRate[0] ?? 0)} at 0 to ${formatPercent(hitRate.at(-1) ?? 0)} at 1, over ${requestsText(curves.requests)}.` +
        at(saved, "saved") +
        (typed == null || typed === saved ? "" : at(typed, "typed"))
    );
}

/** The what-if panel's budget chart: donor tokens left reused (as a share of the most), at the marks and at budget 1. */
export function budgetSummary(curves: WhatIfCurves, saved: number, typed: number | null): string {
    const {reusedTokens, agreement, donorRequests, policy} = curves.budget;
    const max = Math.max(1, ...reusedTokens);
    const at = (budget: number, which: string): string => {
        const reuse = budgetReuseAt(curves, budget);
        return reuse == null ? "" : ` ${formatPercent(reuse / max)} at the ${which} budget ${budget};`;
    };
    const measured = agreement.flatMap((a, i) => (a == null ? [] : [`${formatPercent(a)} at ${curves.budget.x[i]}`]));
    return (
        `Donor tokens left reused against the recompute budget, for ${requestsText(donorRequests)} served with “${recomputePolicyLabels[policy]}”:` +
        at(saved, "saved") +
        (typed == null || typed === saved ? "" : at(typed, "typed")) +
        ` ${formatPercent((reusedTokens.at(-1) ?? 0) / max)} at budget 1.` +
        (measured.length === 0 ? " No measured agreement yet." : ` Measured agreement with full compute: ${measured.join(", ")}.`)
    );
}
