/**
 * The dashboard's numbers as `cacheStats` computed them before the request log kept them in columns: every row of
 * the window read from SQLite into an object (`RequestLog.since`), then filtered, mapped and reduced row by row.
 * Kept as the reference definition: the aggregation test asserts the new path equals it, and `npm run bench:stats`
 * times it against the new path on the same database.
 */
import type Database from "better-sqlite3";
import type {CacheStats, PrefillSpeed, StatsBucket, TopDonor, TtftSummary} from "../../shared/admin.js";
import {chooseBucketMs, prefillFit, prefillSpeed, type StatsDeps} from "../../main/admin/statsService.js";
import type {RequestSummary} from "../../main/insights/RequestLog.js";
import {sharedScope} from "../../main/sharing/engine/scopes.js";

const servedTtft = (e: {ttftMs: number; queueMs: number}): number => Math.max(0, e.ttftMs - e.queueMs);
const isHit = (e: RequestSummary): boolean => e.reusedTokens > 0;
function median(values: number[]): number | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
function summary(entries: readonly RequestSummary[]): TtftSummary {
    const values = entries.map(servedTtft);
    if (values.length === 0) return {count: 0, meanMs: null, medianMs: null, medianPromptTokens: null};
    return {
        count: values.length,
        meanMs: values.reduce((a, b) => a + b, 0) / values.length,
        medianMs: median(values),
        medianPromptTokens: median(entries.map((e) => e.promptTokens))
    };
}
const mean = (values: number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
/** The line of net TTFT against prompt tokens over every scope's requests without reuse (the machine's prefill). */
function prefillOf(entries: readonly RequestSummary[]): PrefillSpeed {
    const fit = prefillFit();
    for (const e of entries)
        if (!isHit(e) && e.promptTokens > 0) fit.add(e.promptTokens, (Math.max(0, e.ttftMs - e.queueMs - e.admissionMs) / e.promptTokens) * e.promptTokens);
    return prefillSpeed(fit);
}

export function oldCacheStats(
    deps: StatsDeps,
    db: Database.Database | undefined,
    input: {bucketMs?: number; since?: number; scope?: string},
    now: number
): CacheStats {
    const entries = deps.requestLog.since(input.since ?? 0, input.scope);
    const first = entries[0]?.at ?? now;
    const bucketMs = Math.max(10_000, Math.round(input.bucketMs ?? chooseBucketMs(now - first)));
    const start0 = Math.floor(first / bucketMs) * bucketMs;
    const count = Math.min(240, Math.max(12, Math.floor((now - start0) / bucketMs) + 1));
    const firstBucket = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
    const prefill = prefillOf(input.scope == null ? entries : deps.requestLog.since(input.since ?? 0));
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
    for (const [id, hitCount] of [...donorCounts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])) {
        if (topDonors.length === 8) break;
        const cached = store?.get(id);
        if (cached == null) continue;
        const visible = input.scope == null || cached.scope === input.scope || cached.scope === sharedScope;
        topDonors.push({
            id,
            hits: hitCount,
            lifetimeHits: cached.hitCount,
            prompt: visible ? cached.promptText : null,
            scope: cached.scope,
            bytes: cached.bytes
        });
    }
    const scopes = (
        (db
            ?.prepare("SELECT scope FROM request_log WHERE at >= ? GROUP BY scope ORDER BY COUNT(*) DESC, scope")
            .all(now - deps.settings.sharing.historyDays * 86_400_000) ?? []) as Array<{scope: string}>
    ).map((row) => row.scope);
    // The sampled requests waiting for a check, counted as before (SQLite picks the scope's index).
    const pending =
        db == null
            ? 0
            : (
                  (input.scope == null
                      ? db.prepare("SELECT COUNT(*) AS n FROM request_log WHERE replay_tokens IS NOT NULL").get()
                      : db.prepare("SELECT COUNT(*) AS n FROM request_log WHERE replay_tokens IS NOT NULL AND scope = ?").get(input.scope)) as {n: number}
              ).n;
    return {
        now,
        bucketMs,
        buckets,
        totals: {
            requests: entries.length,
            hits: hits.length,
            donorHits,
            hitRate: entries.length === 0 ? 0 : donorHits / entries.length,
            promptTokens: entries.reduce((sum, e) => sum + e.promptTokens, 0),
            reusedTokens,
            timeSavedMs: timeSaved(reusedTokens)
        },
        ttft: {withReuse: summary(hits), withoutReuse: summary(entries.filter((e) => !isHit(e)))},
        prefill,
        cache: {
            ...(input.scope == null
                ? {entries: store?.count() ?? 0, bytes: store?.totalBytes() ?? 0}
                : (store?.scopeTotals(input.scope) ?? {entries: 0, bytes: 0})),
            budgetBytes: deps.settings.sharing.maxSnapshotBytes,
            // The memory tier holds every scope's donors: only the whole cache's view shows it.
            memoryBytes: input.scope == null ? (store?.memoryBytes ?? 0) : null,
            memoryBudgetBytes: deps.settings.sharing.maxMemoryBytes
        },
        topDonors,
        scope: input.scope ?? null,
        scopes,
        quality: deps.qualityChecks.summary(now - 7 * 86_400_000, input.scope, {
            share: deps.monitorShare(),
            pending
        }),
        historyDays: deps.settings.sharing.historyDays
    };
}
