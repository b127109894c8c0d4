import {ServedTotals} from "./ServedTotals.js";
import type Database from "better-sqlite3";
import {isRecomputePolicy} from "../../shared/settings.js";
import {ReplayQueue} from "./ReplayQueue.js";
import {
    json,
    statsSelectColumns,
    statsRowOf,
    summaryColumns,
    summaryOf,
    toSummary,
    type RequestLogEntry,
    type RequestSummary,
    type SummaryRow
} from "./requestLogRows.js";
import {StatsColumns} from "./StatsColumns.js";
import {decodeWhatIf, encodeWhatIf, type WhatIfRow} from "./whatIfRecord.js";

export type {WhatIfRow};
export type {RequestLogEntry, RequestSummary} from "./requestLogRows.js";
export type {ReplayRow} from "./ReplayQueue.js";

export interface RequestLogOptions {
    /** The app database; undefined when it cannot be opened (then the log is in memory only). */
    db(): Database.Database | undefined;
    /** Days of history kept. */
    retentionDays(): number;
    /** Share (0..1) of shared-KV requests whose tokens are kept for a quality check. */
    replayShare(): number;
    /** Most rows kept whatever their age (a busy server must not grow the file without bound). */
    maxRows?: number;
    /** How long new entries may wait before they are written (one transaction for a burst). */
    flushMs?: number;
    random?: () => number;
    /** Where a failed write is reported (a full disk): the log loses those rows, the server keeps serving. */
    warn?: (message: string) => void;
}

/** A failing write is reported at most this often (a full disk fails every flush). */
const writeWarningEveryMs = 60_000;

const pruneEveryMs = 60_000;
/** What-if views (scopes) kept in memory at most. */
const maxWhatIfViews = 32;
const dayMs = 86_400_000;

/**
 * Served requests, kept in app.db so the dashboard's history, the what-if curves and the quality
 * monitor survive restarts; bounded by the retention setting and a row cap. Writes are batched (a
 * short timer, one transaction), and every read writes what is pending first.
 */
export class RequestLog {
    private pending: RequestLogEntry[] = [];
    private timer: NodeJS.Timeout | undefined;
    private lastPrune = 0;
    /** When each kind of failed write was last reported. */
    private readonly lastWriteWarning = new Map<string, number>();
    /** Entries kept when the database is unavailable (a read-only data folder must not fail requests). */
    private readonly memory: RequestLogEntry[] = [];
    private readonly maxRows: number;
    /** The what-if views by scope ("" for all; see {@link whatIfRows}); dropped when rows are deleted. */
    private readonly whatIfCache = new Map<string, {limit: number; lastId: number; rows: Array<WhatIfRow & {id: number}>}>();

    /** The dashboard's numbers of every row in `db`, topped up with the rows written since (see {@link statsColumns}). */
    private stats: {db: Database.Database; lastId: number; columns: StatsColumns} | undefined;

    /** The requests sampled for a quality check: their prompts, until checked or purged. */
    public readonly replays = new ReplayQueue({
        database: () => this.database(),
        flush: () => this.flush(),
        writeFailed: (what, error) => this.writeFailed("replay", what, error)
    });

    public constructor(private readonly options: RequestLogOptions) {
        this.maxRows = options.maxRows ?? 200_000;
    }

    /** Records a served request (written within `flushMs`). */
    /** What was served since this process started (GET /metrics): never pruned, never read back from the database. */
    public readonly totals = new ServedTotals();

    public add(entry: RequestLogEntry): void {
        this.totals.add(entry);
        const sampled =
            entry.mode === "semantic" &&
            entry.donorId != null &&
            entry.replayTokens != null &&
            (this.options.random ?? Math.random)() < this.options.replayShare();
        this.pending.push(sampled ? entry : {...entry, replayTokens: undefined});
        this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 250).unref();
    }

    /** Writes the pending entries now; prunes old rows at most once a minute. */
    public flush(): void {
        clearTimeout(this.timer);
        this.timer = undefined;
        if (this.pending.length === 0) return;
        const batch = this.pending;
        this.pending = [];
        const db = this.database();
        if (db == null) {
            this.memory.push(...batch);
            this.memory.splice(0, Math.max(0, this.memory.length - this.maxRows));
            return;
        }
        // A flush runs from a timer: a failing write (a full disk) must not end the process, only lose the batch.
        try {
            this.write(db, batch);
        } catch (error) {
            this.writeFailed("rows", `could not write ${batch.length} request log rows`, error);
        }
    }

    private writeFailed(kind: "rows" | "replay", what: string, error: unknown): void {
        if (Date.now() - (this.lastWriteWarning.get(kind) ?? -Infinity) < writeWarningEveryMs) return;
        this.lastWriteWarning.set(kind, Date.now());
        this.options.warn?.(`${what}: ${(error as Error).message}`);
    }

    private write(db: Database.Database, batch: readonly RequestLogEntry[]): void {
        // Old rows go before the batch is written (a batch is never older than the retention in practice).
        if (Date.now() - this.lastPrune >= pruneEveryMs) this.prune(db);
        const insert = db.prepare(`INSERT INTO request_log (at, user, scope, mode, prompt_tokens, reused_tokens, recomputed_tokens, completion_tokens,
            ttft_ms, queue_ms, donor_id, donor_similarity, best_similarity, reusable_tokens, prefix_floor, threshold, budget, min_gain, policy,
            recompute_policy, whatif, stages, replay_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
        db.transaction(() => {
            for (const e of batch) {
                insert.run(
                    e.at,
                    e.user,
                    e.scope,
                    e.mode,
                    e.promptTokens,
                    e.reusedTokens,
                    e.recomputedTokens ?? 0,
                    e.completionTokens,
                    e.ttftMs,
                    e.queueMs ?? 0,
                    e.donorId ?? null,
                    e.donorSimilarity ?? null,
                    e.bestSimilarity ?? null,
                    e.reusableTokens ?? 0,
                    e.prefixFloor ?? 0,
                    e.threshold ?? null,
                    e.budget ?? null,
                    e.minGain ?? null,
                    e.policy ?? null,
                    e.recomputePolicy ?? null,
                    e.candidates == null
                        ? null
                        : encodeWhatIf({
                              promptTokens: e.promptTokens,
                              prefixFloor: e.prefixFloor ?? 0,
                              minGain: e.minGain ?? 0,
                              candidates: e.candidates,
                              budgetReuse: e.budgetReuse ?? null
                          }),
                    json(e.stages),
                    e.replayTokens == null ? null : Buffer.from(new Int32Array(e.replayTokens).buffer)
                );
            }
        })();
    }

    /** Requests finished since `since` (unix ms), oldest first; only `scope`'s when given. */
    public since(since = 0, scope?: string): RequestSummary[] {
        this.flush();
        const db = this.database();
        if (db == null) return this.memory.filter((e) => e.at >= since && (scope == null || e.scope === scope)).map(summaryOf);
        const rows =
            scope == null
                ? db.prepare(`SELECT ${summaryColumns} FROM request_log WHERE at >= ? ORDER BY at, id`).all(since)
                : db.prepare(`SELECT ${summaryColumns} FROM request_log WHERE at >= ? AND scope = ? ORDER BY at, id`).all(since, scope);
        return (rows as SummaryRow[]).map(toSummary);
    }

    /**
     * Every logged request's dashboard numbers, in {@link since}'s order (oldest first). Kept in memory and topped up
     * with the rows written since the last call only (a read of the whole log held the event loop ~2 s at the row
     * cap; see {@link StatsColumns}); rows pruned here are dropped from it, and a row count that disagrees with the
     * table (rows deleted some other way) reads it afresh. The returned columns are the log's own: read, never change.
     */
    public statsColumns(): StatsColumns {
        this.flush();
        const db = this.database();
        if (db == null) return StatsColumns.of(this.memory.map((e, i) => ({...statsRowOf(e), id: i})));
        let stats = this.stats;
        if (stats?.db !== db) stats = this.stats = {db, lastId: 0, columns: new StatsColumns()};
        this.readStatsRows(db, stats);
        const rows = (db.prepare("SELECT COUNT(*) AS n FROM request_log").get() as {n: number}).n;
        if (rows !== stats.columns.length) {
            stats = this.stats = {db, lastId: 0, columns: new StatsColumns()};
            this.readStatsRows(db, stats);
        }
        return stats.columns;
    }

    private readStatsRows(db: Database.Database, stats: {lastId: number; columns: StatsColumns}): void {
        const rows = db.prepare(`SELECT ${statsSelectColumns} FROM request_log WHERE id > ? ORDER BY id`).raw().all(stats.lastId) as Array<
            [number, number, string, number, number, number | null, number, number, number | null]
        >;
        if (rows.length === 0) return;
        const columns = stats.columns;
        let [lastAt, lastId] = columns.last();
        let ordered = true;
        for (const [id, at, scope, promptTokens, reusedTokens, donorId, ttftMs, queueMs, admissionMs] of rows) {
            if (at < lastAt || (at === lastAt && id < lastId)) ordered = false;
            [lastAt, lastId] = [at, id];
            columns.push({id, at, scope, promptTokens, reusedTokens, donorId, ttftMs, queueMs, admissionMs});
        }
        if (!ordered) columns.sortByTime();
        stats.lastId = rows.at(-1)![0];
    }

    /** The scopes with requests since `since`, most requests first. */
    public scopes(since = 0): string[] {
        if (this.database() == null) {
            this.flush();
            return [...new Set(this.memory.filter((e) => e.at >= since).map((e) => e.scope))];
        }
        const columns = this.statsColumns();
        const counts = new Float64Array(columns.scopes.length);
        for (let i = 0; i < columns.length; i++) if (columns.at[i]! >= since) counts[columns.scope[i]!]!++;
        // Ties in SQLite's order (the bytes of the UTF-8 text), as `ORDER BY COUNT(*) DESC, scope` gave them.
        return columns.scopes
            .map((scope, i) => ({scope, count: counts[i]!}))
            .filter((s) => s.count > 0)
            .sort((a, b) => b.count - a.count || Buffer.compare(Buffer.from(a.scope), Buffer.from(b.scope)))
            .map((s) => s.scope);
    }

    /**
     * The what-if curves' view of the latest `limit` requests with sharing on (only `scope`'s when
     * given), oldest first. Each view is kept in memory and topped up with new rows only, so the
     * settings panel's answer does not re-read 10,000 rows each time.
     */
    public whatIfRows(limit: number, scope?: string): WhatIfRow[] {
        this.flush();
        const db = this.database();
        if (db == null) return [];
        const key = scope ?? "";
        const filter = scope == null ? {where: "", params: []} : {where: "AND scope = ?", params: [scope]};
        let cache = this.whatIfCache.get(key);
        if (cache == null || cache.limit !== limit) {
            // A bounded number of views: a busy installation with many scopes re-reads now and then.
            if (this.whatIfCache.size >= maxWhatIfViews) this.whatIfCache.clear();
            const rows = this.readWhatIfRows(db, filter.where, filter.params, limit).reverse();
            cache = {limit, lastId: rows.at(-1)?.id ?? 0, rows};
            this.whatIfCache.set(key, cache);
        } else {
            const fresh = this.readWhatIfRows(db, `${filter.where} AND id > ?`, [...filter.params, cache.lastId], limit).reverse();
            if (fresh.length > 0) {
                cache.rows.push(...fresh);
                cache.rows.splice(0, Math.max(0, cache.rows.length - limit));
                cache.lastId = fresh.at(-1)!.id;
            }
        }
        return cache.rows;
    }

    /** Newest first. */
    private readWhatIfRows(db: Database.Database, where: string, params: unknown[], limit: number): Array<WhatIfRow & {id: number}> {
        const rows = db
            .prepare(`SELECT id, whatif, recompute_policy, mode FROM request_log WHERE whatif IS NOT NULL ${where} ORDER BY id DESC LIMIT ?`)
            .raw()
            .all(...params, limit) as Array<[number, Buffer, string | null, string]>;
        return rows.map(([id, record, policy, mode]) => ({
            id,
            ...decodeWhatIf(record),
            recomputePolicy: isRecomputePolicy(policy) ? policy : null,
            servedFromDonor: mode === "semantic"
        }));
    }

    /** Removes every logged request (tests, and the admin clearing history). */
    public clear(): void {
        this.pending = [];
        this.memory.length = 0;
        this.whatIfCache.clear();
        this.stats = undefined;
        this.database()?.prepare("DELETE FROM request_log").run();
    }

    /** Drops rows past the retention and beyond the row cap; quality checks past the retention too. */
    public prune(db = this.database(), now = Date.now()): void {
        if (db == null) return;
        this.lastPrune = now;
        const cutoff = now - this.options.retentionDays() * dayMs;
        let removed = db.prepare("DELETE FROM request_log WHERE at < ?").run(cutoff).changes;
        db.prepare("DELETE FROM quality_checks WHERE at < ?").run(cutoff);
        const excess = (db.prepare("SELECT COUNT(*) AS n FROM request_log").get() as {n: number}).n - this.maxRows;
        if (excess > 0) removed += db.prepare("DELETE FROM request_log WHERE id IN (SELECT id FROM request_log ORDER BY id LIMIT ?)").run(excess).changes;
        // The in-memory what-if view may hold removed rows: read it afresh next time.
        if (removed > 0) this.whatIfCache.clear();
        // The stats columns drop the same rows: those past the retention, then the oldest ids (the cap).
        if (removed > 0 && this.stats?.db === db) {
            const first = (db.prepare("SELECT MIN(id) AS id FROM request_log").get() as {id: number | null}).id ?? Infinity;
            this.stats.columns.retain((at, id) => at >= cutoff && id >= first);
        }
    }

    /** Writes what is pending (shutdown). */
    public close(): void {
        this.flush();
    }

    private database(): Database.Database | undefined {
        try {
            return this.options.db();
        } catch {
            return undefined;
        }
    }
}
