import {LineFit, minSlopeSpread} from "../common/lineFit.js";
import type {CacheStats, PrefillSpeed, StatsBucket, TopDonor, TtftSummary} from "../../shared/admin.js";
import type {AdminDeps} from "./ports.js";
import {sharedScope} from "../sharing/engine/scopes.js";
import {medianOf} from "../insights/StatsColumns.js";

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

// The per-request definitions (a hit, the TTFT once a sequence was free, the prefill rate) are the columns'
// (`main/insights/StatsColumns.ts`); the test keeps the row-by-row reference this aggregation must equal.

/** A bucket width that covers the window in at most {@link maxBuckets} buckets, rounded to a nice step. */
export function chooseBucketMs(spanMs: number): number {
    const steps = [10_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000];
    for (const step of steps) if (spanMs / step <= maxBuckets) return step;
    return Math.ceil(spanMs / maxBuckets / 86_400_000) * 86_400_000;
}

/**
 * What a view sums, per time bucket and over the whole window. A request "hit" the cache when any of its prompt's
 * KV came from the cache (its own prefix included); TTFT is the served TTFT (the wait for a sequence left out:
 * requests that reuse are served first, so with it the comparison would flatter reuse under load).
 */
class Tally {
    public requests = 0;
    public hits = 0;
    public donorHits = 0;
    public promptTokens = 0;
    public reusedTokens = 0;
    public hitTtftSum = 0;
    public missTtftSum = 0;

    public add(promptTokens: number, reusedTokens: number, donorId: number, hit: boolean, servedTtft: number): void {
        this.requests++;
        this.promptTokens += promptTokens;
        this.reusedTokens += reusedTokens;
        if (!Number.isNaN(donorId)) this.donorHits++;
        if (hit) {
            this.hits++;
            this.hitTtftSum += servedTtft;
        } else this.missTtftSum += servedTtft;
    }
}

/** The prefill line's fit: a slope only where the prompts' lengths spread enough. */
export function prefillFit(): LineFit {
    return new LineFit(1, minSlopeSpread);
}

/** Fewer requests than this fit no slope: the rate through the origin stands in. */
const minSlopeRequests = 5;

/** The dashboard's prefill speed from its fit (see {@link prefillFit}). */
export function prefillSpeed(fit: LineFit): PrefillSpeed {
    if (fit.count === 0) return {msPerToken: null, fixedMs: null, requests: 0};
    const {perToken, fixed} = fit.count < minSlopeRequests ? fit.throughOrigin() : fit.line();
    return {msPerToken: perToken, fixedMs: fixed, requests: fit.count};
}

/**
 * GET /kvshare/cache/stats: the dashboard's numbers from the request log (hit rate, tokens saved, the
 * prefill time they saved, and TTFT with vs without reuse per time
 * bucket, top donors) and the cache index (entries, bytes against the snapshot budget).
 *
 * One pass over the log's in-memory columns ({@link RequestLog.statsColumns}: no row is read from SQLite again
 * or turned into an object), in the order `RequestLog.since` gives its rows, so every sum and mean is the one a
 * row-by-row aggregation of `since`'s rows gives, to the last bit; the medians are selected, not sorted, from the
 * same values. The time saved: reused tokens × this machine's prefill ms per token: the slope of (TTFT − queue wait −
 * admission) against prompt tokens over the window's requests served without reuse, of every scope, or with
 * `ownPrefill` (a key holder's own view) of that scope's alone (see `StatsColumns.prefillRate`). The slope, not the
 * mean rate: a pass's fixed cost (a weights pass, sampling) is paid with or without reuse, and charged per token it
 * made a short prompt's tokens look several times dearer.
 * A scope's view is the same pass over that scope's rows.
 */
export function cacheStats(
    deps: StatsDeps,
    input: {bucketMs?: number; since?: number; scope?: string; ownPrefill?: boolean} = {},
    now = Date.now()
): CacheStats {
    const columns = deps.requestLog.statsColumns();
    const since = input.since ?? 0;
    const scopeId = input.scope == null ? null : columns.scopeId(input.scope);
    const n = columns.length;
    const {at, scope, promptTokens, reusedTokens, donorId, servedTtft, prefillRate} = columns;
    const inView = (i: number): boolean => at[i]! >= since && (scopeId == null || scope[i] === scopeId);

    let firstIndex = 0;
    while (firstIndex < n && !inView(firstIndex)) firstIndex++;
    const first = firstIndex < n ? at[firstIndex]! : now;
    const bucketMs = Math.max(minBucketMs, Math.round(input.bucketMs ?? chooseBucketMs(now - first)));
    const start0 = Math.floor(first / bucketMs) * bucketMs;
    const count = Math.min(maxBuckets * 4, Math.max(minBuckets, Math.floor((now - start0) / bucketMs) + 1));
    const firstBucket = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;

    const groups = Array.from({length: count}, () => new Tally());
    const total = new Tally();
    const hitTtft = new Float64Array(n);
    const missTtft = new Float64Array(n);
    const hitPrompt = new Float64Array(n);
    const missPrompt = new Float64Array(n);
    const donorCounts = new Map<number, number>();
    for (let i = firstIndex; i < n; i++) {
        if (!inView(i)) continue;
        const hit = reusedTokens[i]! > 0;
        const donor = donorId[i]!;
        const index = Math.floor((at[i]! - firstBucket) / bucketMs);
        total.add(promptTokens[i]!, reusedTokens[i]!, donor, hit, servedTtft[i]!);
        if (index >= 0 && index < count) groups[index]!.add(promptTokens[i]!, reusedTokens[i]!, donor, hit, servedTtft[i]!);
        if (hit) {
            hitTtft[total.hits - 1] = servedTtft[i]!;
            hitPrompt[total.hits - 1] = promptTokens[i]!;
        } else {
            missTtft[total.requests - total.hits - 1] = servedTtft[i]!;
            missPrompt[total.requests - total.hits - 1] = promptTokens[i]!;
        }
        if (!Number.isNaN(donor)) donorCounts.set(donor, (donorCounts.get(donor) ?? 0) + 1);
    }

    // This machine's prefill, whoever asked: every scope's view (and the sum of them) prices a reused token alike; but a
    // key holder's own view fits its scope's requests alone (how many requests the others sent is not theirs to see).
    const fit = prefillFit();
    for (let i = 0; i < n; i++)
        if (at[i]! >= since && (input.ownPrefill !== true || inView(i)) && !Number.isNaN(prefillRate[i]!))
            fit.add(promptTokens[i]!, prefillRate[i]! * promptTokens[i]!);
    const prefill = prefillSpeed(fit);
    const timeSaved = (reusedTokens: number) => (prefill.msPerToken == null ? null : reusedTokens * prefill.msPerToken);
    const buckets: StatsBucket[] = groups.map((group, index) => ({
        start: firstBucket + index * bucketMs,
        requests: group.requests,
        hits: group.hits,
        donorHits: group.donorHits,
        promptTokens: group.promptTokens,
        reusedTokens: group.reusedTokens,
        ttftWithReuseMs: group.hits === 0 ? null : group.hitTtftSum / group.hits,
        ttftWithoutReuseMs: group.requests === group.hits ? null : group.missTtftSum / (group.requests - group.hits),
        timeSavedMs: timeSaved(group.reusedTokens)
    }));
    const misses = total.requests - total.hits;
    const summaryOf = (values: Float64Array, prompts: Float64Array, count: number, sum: number): TtftSummary =>
        count === 0
            ? {count: 0, meanMs: null, medianMs: null, medianPromptTokens: null}
            : {count, meanMs: sum / count, medianMs: medianOf(values, count), medianPromptTokens: medianOf(prompts, count)};
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
            requests: total.requests,
            hits: total.hits,
            donorHits: total.donorHits,
            // Served from a donor, as the what-if curves count it; `hits` also counts a request's own prefix.
            hitRate: total.requests === 0 ? 0 : total.donorHits / total.requests,
            promptTokens: total.promptTokens,
            reusedTokens: total.reusedTokens,
            timeSavedMs: timeSaved(total.reusedTokens)
        },
        ttft: {
            withReuse: summaryOf(hitTtft, hitPrompt, total.hits, total.hitTtftSum),
            withoutReuse: summaryOf(missTtft, missPrompt, misses, total.missTtftSum)
        },
        prefill,
        // A scope's view counts that scope's entries (the budget is the whole cache's, shared by all).
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
