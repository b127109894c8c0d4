import type {PrepareStatement} from "./ConnectionMirror.js";

/** See {@link CacheStore.evictToBudget}. */
export interface EvictionOptions {
    /** Entries never evicted (a donor being restored right now). */
    keep?: Iterable<number>;
    /** Bytes to evict past the budget, once over it. */
    slackBytes?: number;
}

/**
 * The ids to evict so that snapshots of `total` bytes come to at most `maxBytes` (less the slack, once over it), in
 * eviction order: highest (time since last use + 1 s) × bytes first — an old entry goes before a fresh one, and of
 * two equally stale entries the bigger frees more for its loss. The 1 s floor keeps size meaningful among entries
 * used in the same instant. Kept entries are passed over, so the budget may stay exceeded when only those remain.
 */
export function evictionOrder(stmt: PrepareStatement, now: number, total: number, maxBytes: number, options: EvictionOptions = {}): number[] {
    if (total <= maxBytes) return [];
    const keep = new Set(options.keep ?? []);
    const target = Math.max(0, maxBytes - Math.max(0, options.slackBytes ?? 0));
    const order = stmt("SELECT id, bytes FROM entries ORDER BY CAST(MAX(? - last_used_at, 0) + 1000 AS REAL) * bytes DESC, last_used_at ASC, id ASC").all(
        now
    ) as Array<{id: number; bytes: number}>;
    const ids: number[] = [];
    let left = total;
    for (const {id, bytes} of order) {
        if (left <= target) break;
        if (keep.has(id)) continue;
        ids.push(id);
        left -= bytes;
    }
    return ids;
}
