import type Database from "better-sqlite3";
import {isRecomputePolicy, type RecomputePolicy} from "../../shared/settings.js";
import {truncateLog} from "../common/truncateLog.js";

/** A logged request waiting for its quality check. */
export interface ReplayRow {
    id: number;
    at: number;
    scope: string;
    policy: string;
    donorId: number;
    donorSimilarity: number | null;
    budget: number;
    /** Undefined for requests logged before the policy was (the scope's current one applies). */
    recomputePolicy?: RecomputePolicy;
    tokens: number[];
}

/** What the queue needs of the request log that holds its rows. */
export interface ReplaySource {
    /** The app database, undefined when it cannot be opened (then nothing is queued). */
    database(): Database.Database | undefined;
    /** Writes the log's pending rows, so a read sees every request logged so far. */
    flush(): void;
    /** Reports a failed write (rate-limited by the log). */
    writeFailed(what: string, error: unknown): void;
}

/**
 * The requests sampled for a quality check, kept as their prompt tokens in the request log's rows until the
 * check has run, or until a purge (a revoked key, a deleted cached prompt, a cleared cache) forgets them.
 */
export class ReplayQueue {
    /** Checked requests whose replay tokens could not be cleared (a full disk): never offered again. */
    private readonly done = new Set<number>();

    public constructor(private readonly log: ReplaySource) {}

    /** SQL leaving out requests whose check is done but could not be marked so (see `drop`); binds {@link done}. */
    private notDone(): string {
        return this.done.size === 0 ? "" : ` AND id NOT IN (${[...this.done].map(() => "?").join(", ")})`;
    }

    /** The most recent requests waiting for a quality check, newest first. */
    public pending(limit: number): ReplayRow[] {
        this.log.flush();
        const db = this.log.database();
        if (db == null) return [];
        const rows = db
            .prepare(
                `SELECT id, at, scope, policy, recompute_policy, donor_id, donor_similarity, budget, replay_tokens FROM request_log
            WHERE replay_tokens IS NOT NULL${this.notDone()} ORDER BY id DESC LIMIT ?`
            )
            .all(...this.done, limit) as Array<{
            id: number;
            at: number;
            scope: string;
            policy: string | null;
            recompute_policy: string | null;
            donor_id: number;
            donor_similarity: number | null;
            budget: number | null;
            replay_tokens: Buffer;
        }>;
        return rows.map((row) => ({
            id: row.id,
            at: row.at,
            scope: row.scope,
            policy: row.policy ?? "global",
            donorId: row.donor_id,
            donorSimilarity: row.donor_similarity,
            budget: row.budget ?? 0,
            ...(isRecomputePolicy(row.recompute_policy) ? {recomputePolicy: row.recompute_policy} : {}),
            tokens: [
                ...new Int32Array(row.replay_tokens.buffer.slice(row.replay_tokens.byteOffset, row.replay_tokens.byteOffset + row.replay_tokens.byteLength))
            ]
        }));
    }

    /** How many sampled requests (of `scope` when given) wait for a quality check. */
    public count(scope?: string): number {
        this.log.flush();
        const db = this.log.database();
        if (db == null) return 0;
        // Through the index of sampled rows (a few): SQLite would otherwise pick the scope's index and read every row
        // of the scope (0.3 s a dashboard poll at 200k rows).
        const from = "FROM request_log INDEXED BY request_log_replays WHERE replay_tokens IS NOT NULL";
        const row =
            scope == null
                ? db.prepare(`SELECT COUNT(*) AS n ${from}${this.notDone()}`).get(...this.done)
                : db.prepare(`SELECT COUNT(*) AS n ${from}${this.notDone()} AND scope = ?`).get(...this.done, scope);
        return (row as {n: number}).n;
    }

    /** Forgets a request's tokens once it has been checked (or cannot be: its donor is gone). */
    public drop(id: number): void {
        try {
            this.log.database()?.prepare("UPDATE request_log SET replay_tokens = NULL WHERE id = ?").run(id);
        } catch (error) {
            // Not offered again all the same: a check that cannot be marked done must not run over and over.
            this.done.add(id);
            this.log.writeFailed(`could not mark request ${id} as checked`, error);
        }
    }

    /** Forgets the sampled prompt tokens of every request of one scope (a purged key's). */
    public dropInScope(scope: string): void {
        this.dropWhere("scope", scope);
    }

    /** Forgets the prompts one user sent, kept for quality replays, in whatever scope (a revoked key's, purged). */
    public dropOf(user: string): void {
        this.dropWhere("user", user);
    }

    /**
     * Forgets the logged prompts of a scope that a deleted cached prompt begins with (its own request's, kept for
     * quality replays: they hold its text, and a replay would put its KV back in a sequence). `tokens` are the
     * deleted entry's (its prompt, then its answer).
     */
    public dropOfPrompt(scope: string, tokens: ArrayLike<number>): void {
        this.log.flush();
        const db = this.log.database();
        if (db == null) return;
        const rows = db.prepare("SELECT id, replay_tokens FROM request_log WHERE scope = ? AND replay_tokens IS NOT NULL").all(scope) as Array<{
            id: number;
            replay_tokens: Buffer;
        }>;
        const isPrefix = (blob: Buffer): boolean => {
            const replay = new Int32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
            return replay.length <= tokens.length && replay.every((token, i) => token === tokens[i]);
        };
        const drop = db.prepare("UPDATE request_log SET replay_tokens = NULL WHERE id = ?");
        const dropped = db.transaction(() => rows.filter((row) => isPrefix(row.replay_tokens)).map((row) => drop.run(row.id)).length)();
        if (dropped > 0) truncateLog(db);
    }

    /** Forgets every logged prompt kept for quality replays (the cache cleared: nothing of it is to come back). */
    public dropAll(): void {
        this.log.flush();
        const db = this.log.database();
        if (db == null) return;
        if (db.prepare("UPDATE request_log SET replay_tokens = NULL WHERE replay_tokens IS NOT NULL").run().changes > 0) truncateLog(db);
    }

    private dropWhere(column: "scope" | "user", value: string): void {
        this.log.flush();
        const db = this.log.database();
        if (db == null) return;
        // A purge: the sampled tokens leave the write-ahead log too.
        if (db.prepare(`UPDATE request_log SET replay_tokens = NULL WHERE ${column} = ?`).run(value).changes > 0) truncateLog(db);
    }
}
