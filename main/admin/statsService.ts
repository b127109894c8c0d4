import type {CacheStats, PrefillSpeed, StatsBucket, TopDonor, TtftSummary} from "../../shared/admin.js";
import type {AdminDeps} from "./ports.js";
import {sharedScope} from "../sharing/engine/scopes.js";
import type {RequestSummary} from "../insights/RequestLog.js";

/** What the dashboard numbers are read from. */
export type StatsDeps = Pick<AdminDeps, "requestLog" | "qualityChecks" | "cache" | "settings" | "monitorShare">;

/** Buckets the dashboard draws at most. */
const maxBuckets = 60;
const minBucketMs = 10_000;
/** At least this many buckets, so a fresh server's chart reads as a timeline. */
const minBuckets = 12;
const topDonorCount = 8;
/** The quality monitor's summary covers this window ("this week"). */
const weekMs = 7 * 86_400_000;

/**
 * A request's time to first token once a sequence was free for it: what reuse changes. The wait for a sequence
 * is left out (requests that reuse are served first, so with it the comparison would flatter reuse under load).
 */
const servedTtft = (e: {ttftMs: number; queueMs: number}): number => Math.max(0, e.ttftMs - e.queueMs);

function summary(values: number[]): TtftSummary {
    if (values.length === 0) return {count: 0, meanMs: null, medianMs: null};
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return {count: values.length, meanMs: values.reduce((a, b) => a + b, 0) / values.length, medianMs: median};
}

function median(values: number[]): number | null {
    return summary(values).medianMs;
}

function mean(values: number[]): number | null {
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** A request "hit" the cache when any of its prompt's KV came from the cache. */
export function isHit(entry: RequestSummary): boolean {
    return entry.reusedTokens > 0;
}

/**
 * What a prompt token costs to prefill here, from the requests that computed their whole prompt:
 * what their TTFT holds besides the queue wait and admission, per prompt token. The median, so a
 * request slowed by something else (a model load, a busy machine) does not move it; short prompts
 * carry the fixed cost of the first decode step, so the estimate errs on the high side for them.
 * Requests of every model in the window count alike: the log does not say which model served.
 */
export function prefillSpeed(entries: readonly RequestSummary[]): PrefillSpeed {
    const rates = entries.filter((e) => !isHit(e) && e.promptTokens > 0).map((e) => Math.max(0, e.ttftMs - e.queueMs - e.admissionMs) / e.promptTokens);
    return {msPerToken: median(rates), requests: rates.length};
}

/** A bucket width that covers the window in at most {@link maxBuckets} buckets, rounded to a nice step. */
export function chooseBucketMs(spanMs: number): number {
    const steps = [10_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000];
    for (const step of steps) if (spanMs / step <= maxBuckets) return step;
    return Math.ceil(spanMs / maxBuckets / 86_400_000) * 86_400_000;
}

/**
 * GET /kvshare/cache/stats: the dashboard's numbers from the request log (hit rate, tokens saved, the
 * prefill time they saved as estimated by {@link prefillSpeed}, and TTFT with vs without reuse per time
 * bucket, top donors) and the cache index (entries, bytes against the snapshot budget).
 */
export function cacheStats(deps: StatsDeps, input: {bucketMs?: number; since?: number; scope?: string} = {}, now = Date.now()): CacheStats {
    const entries = deps.requestLog.since(input.since ?? 0, input.scope);
    const first = entries[0]?.at ?? now;
    const bucketMs = Math.max(minBucketMs, Math.round(input.bucketMs ?? chooseBucketMs(now - first)));
    const start0 = Math.floor(first / bucketMs) * bucketMs;
    const count = Math.min(maxBuckets * 4, Math.max(minBuckets, Math.floor((now - start0) / bucketMs) + 1));
    const firstBucket = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;

    const prefill = prefillSpeed(entries);
    const timeSaved = (reusedTokens: number) => (prefill.msPerToken == null ? null : reusedTokens * prefill.msPerToken);
    const groups: RequestSummary[][] = Array.from({length: count}, () => []);
    for (const entry of entries) {
        const index = Math.floor((entry.at - firstBucket) / bucketMs);
        if (index >= 0 && index < count) groups[index]!.push(entry);
    }
    const buckets: StatsBucket[] = groups.map((group, index) => {
        const reusedTokens = group.reduce((sum, e) => sum + e.reusedTokens, 0);
        return {
            start: firstBucket + index * bucketMs,
            requests: group.length,
            hits: group.filter(isHit).length,
            donorHits: group.filter((e) => e.donorId != null).length,
            promptTokens: group.reduce((sum, e) => sum + e.promptTokens, 0),
            reusedTokens,
            ttftWithReuseMs: mean(group.filter(isHit).map(servedTtft)),
            ttftWithoutReuseMs: mean(group.filter((e) => !isHit(e)).map(servedTtft)),
            timeSavedMs: timeSaved(reusedTokens)
        };
    });

    const hits = entries.filter(isHit);
    const donorHits = entries.filter((e) => e.donorId != null).length;
    const reusedTokens = entries.reduce((sum, e) => sum + e.reusedTokens, 0);
    const donorCounts = new Map<number, number>();
    for (const entry of entries) if (entry.donorId != null) donorCounts.set(entry.donorId, (donorCounts.get(entry.donorId) ?? 0) + 1);
    const store = deps.cache();
    const topDonors: TopDonor[] = [];
    for (const [id, count] of [...donorCounts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])) {
        if (topDonors.length === topDonorCount) break;
        // Only the donors still cached: one deleted, evicted, cleared or unmarked since serves no one again and has
        // no text left to show, and the index cannot tell which of these removed it.
        const cached = store?.get(id);
        if (cached == null) continue;
        // A scope's view shows only that scope's donor texts (and the admin-marked shared prefixes).
        const visible = input.scope == null || cached.scope === input.scope || cached.scope === sharedScope;
        topDonors.push({
            id,
            hits: count,
            lifetimeHits: cached.hitCount,
            prompt: visible ? cached.promptText : null,
            scope: cached.scope,
            bytes: cached.bytes
        });
    }

    return {
        now,
        bucketMs,
        buckets,
        totals: {
            requests: entries.length,
            hits: hits.length,
            donorHits,
            // Served from a donor, as the what-if curves count it; `hits` also counts a request's own prefix.
            hitRate: entries.length === 0 ? 0 : donorHits / entries.length,
            promptTokens: entries.reduce((sum, e) => sum + e.promptTokens, 0),
            reusedTokens,
            timeSavedMs: timeSaved(reusedTokens)
        },
        ttft: {withReuse: summary(hits.map(servedTtft)), withoutReuse: summary(entries.filter((e) => !isHit(e)).map(servedTtft))},
        prefill,
        // A scope's view counts that scope's entries (the budget is the whole cache's, shared by all).
        cache: {
            ...(input.scope == null
                ? {entries: store?.count() ?? 0, bytes: store?.totalBytes() ?? 0}
                : (store?.scopeTotals(input.scope) ?? {entries: 0, bytes: 0})),
            budgetBytes: deps.settings.sharing.maxSnapshotBytes
        },
        topDonors,
        scope: input.scope ?? null,
        scopes: deps.requestLog.scopes(now - deps.settings.sharing.historyDays * 86_400_000),
        quality: deps.qualityChecks.summary(now - weekMs, input.scope, {share: deps.monitorShare(), pending: deps.requestLog.replays.count(input.scope)}),
        historyDays: deps.settings.sharing.historyDays
    };
}

/**
 * POST /kvshare/cache/clear: removes every cached prompt (rows, vectors, snapshot files, the memory tier), the
 * KV the sequences still hold (an exact prompt asked again would otherwise reuse it as its own prefix), and the
 * prompts the request log keeps for quality replays.
 */
export function clearCache(deps: Pick<AdminDeps, "cache" | "log" | "forgetLiveKv" | "requestLog">): {removedEntries: number; freedBytes: number} {
    const cleared = deps.cache()?.clear() ?? {removedEntries: 0, freedBytes: 0};
    // The prompts kept for quality replays are cached prompts' text too, and a replay would compute their KV again.
    deps.requestLog.replays.dropAll();
    deps.forgetLiveKv?.();
    deps.log.info(`cache cleared: ${cleared.removedEntries} entries, ${cleared.freedBytes} bytes`);
    return cleared;
}
