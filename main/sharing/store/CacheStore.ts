/**
 * The persistent index of cached prompts: one row per prompt whose KV snapshot lies in the cache
 * dir, plus a sqlite-vec index of prompt embeddings for semantic lookup.
 *
 * Synchronous (better-sqlite3): every call is a few index lookups, cheaper than an async hop, and
 * it keeps each multi-statement change in one real transaction. WAL lets readers (the request
 * path) and the writer (store after generation) proceed together; busy_timeout covers a second
 * process (the CLI server next to the desktop app) holding the write lock for a moment.
 */
import path from "node:path";
import Database from "better-sqlite3";
import {migrate} from "./schema.js";
import {reclaimSpace} from "./reclaimSpace.js";
import {LookupGuard} from "./LookupGuard.js";
import {normalizeSnapshotPath, SNAPSHOTS_SUBDIR} from "./snapshotFiles.js";
import {mkdirOwnerOnly} from "../../config/ownerOnly.js";
import {openCacheDatabase} from "./cacheDatabase.js";
import {ConnectionMirror} from "./ConnectionMirror.js";
import {EntryRemoval} from "./EntryRemoval.js";
import {evictionOrder, type EvictionOptions} from "./evictionOrder.js";
import {encodeTokens, hashTokens} from "./tokens.js";
import {browseEntries} from "./browseEntries.js";
import {MAX_K, nearestBySignCode, nearestExactly} from "./nearestEntries.js";
import {
    ENTRY_COLUMNS,
    readEntry,
    toEntry,
    type CacheEntry,
    type CacheEntryPage,
    type CacheEntryQuery,
    type ConsistencyReport,
    type EntryRow,
    type NearestEntry,
    type NewCacheEntry
} from "./cacheEntry.js";
import {ensureVectorIndex, INSERT_VECTOR_SQL, signCode, VEC_TABLE, vectorBlob, type EmbedderIdentity, type VectorIndexState} from "./vectorIndex.js";

/** Options of {@link CacheStore.open}. */
export interface CacheStoreOptions {
    /** The app's cache folder: the database file and `snapshots/` live here. Created if missing. */
    readonly cacheDir: string;
    /** Identity of the configured embedder; a change rebuilds the (empty) vector index. */
    readonly embedder: EmbedderIdentity;
    /** Database file name inside `cacheDir` (default {@link CACHE_DB_FILE}). */
    readonly dbFileName?: string;
    /** Clock in ms (tests). Default `Date.now`. */
    readonly now?: () => number;
    /**
     * Where a snapshot file that cannot be deleted is reported (it stays, an orphan for the next pass), and a
     * lookup that failed (once, not per request: see {@link CacheStore.damaged}).
     */
    readonly warn?: (message: string) => void;
    /** How long another connection's write lock is waited for (default 5000 ms). */
    readonly busyTimeoutMs?: number;
    /**
     * Up to this many entries of a model, {@link CacheStore.nearest} scans every vector exactly;
     * beyond, it searches sign bits and re-scores the candidates (default {@link EXACT_SEARCH_LIMIT}).
     */
    readonly exactSearchLimit?: number;
}

/** The index's file name inside the cache folder. */
export const CACHE_DB_FILE = "kvshare-cache.db";

/**
 * Default of {@link CacheStoreOptions.exactSearchLimit}: sqlite-vec's exact scan of this many 384-dim
 * vectors takes 2–3 ms on the 2-core dev machine (about 1.1 µs a vector), still inside admission's
 * budget, and gives the exact top k; the default disk budget holds fewer long prompts of any real
 * model than that. Beyond, the sign-bit search stays near 1.3 ms at 10,000.
 */
export const EXACT_SEARCH_LIMIT = 2048;

/** Persistent cache index (see the module comment). Create with {@link CacheStore.open}. */
export class CacheStore {
    /** What opening did to the vector index ("rebuilt" ⇒ entries need re-embedding, see {@link entriesWithoutEmbedding}). */
    readonly vectorIndexState: VectorIndexState;
    readonly cacheDir: string;
    readonly dbPath: string;
    private readonly embedder: EmbedderIdentity;
    private readonly now: () => number;
    /** Prepared statements keyed by SQL (scope lists vary in length). */
    private readonly statements = new Map<string, Database.Statement>();
    private readonly exactSearchLimit: number;
    /** Entry counts and in-memory vectors of the committed index (see {@link ConnectionMirror}). */
    private readonly mirror: ConnectionMirror;
    /** Request-path reads that find nothing rather than fail (see {@link damaged}). */
    private readonly guard: LookupGuard;
    /** Every removal of rows, vectors, in-memory vectors and files (see {@link EntryRemoval}). */
    private readonly removal: EntryRemoval;

    private constructor(
        private readonly db: Database.Database,
        options: CacheStoreOptions,
        dbPath: string
    ) {
        this.cacheDir = path.resolve(options.cacheDir);
        this.dbPath = dbPath;
        this.embedder = {id: options.embedder.id, dimensions: options.embedder.dimensions};
        this.now = options.now ?? Date.now;
        this.exactSearchLimit = options.exactSearchLimit ?? EXACT_SEARCH_LIMIT;
        this.mirror = new ConnectionMirror((sql) => this.stmt(sql), this.embedder.dimensions);
        this.guard = new LookupGuard(dbPath, options.warn);
        this.removal = new EntryRemoval(db, (sql) => this.stmt(sql), this.mirror, this.cacheDir, this.now, options.warn);
        migrate(db);
        this.vectorIndexState = ensureVectorIndex(db, this.embedder);
    }

    /**
     * Open (creating if needed) the store in `options.cacheDir`, migrating its schema; throws a damaged-database
     * error (see `openSettingDamagedAside`) if a page of the index is damaged.
     */
    static open(options: CacheStoreOptions): CacheStore {
        mkdirOwnerOnly(options.cacheDir);
        mkdirOwnerOnly(path.join(options.cacheDir, SNAPSHOTS_SUBDIR));
        const dbPath = path.join(options.cacheDir, options.dbFileName ?? CACHE_DB_FILE);
        const db = openCacheDatabase(dbPath, options.busyTimeoutMs);
        try {
            return new CacheStore(db, options, dbPath);
        } catch (error) {
            db.close();
            throw error;
        }
    }

    private stmt(sql: string): Database.Statement {
        let s = this.statements.get(sql);
        if (s === undefined) {
            s = this.db.prepare(sql);
            this.statements.set(sql, s);
        }
        return s;
    }

    /**
     * Whether a lookup found the index damaged while open. Lookups ({@link findExact}, {@link nearest},
     * {@link get}) then find nothing, so requests are served without sharing instead of failing; the
     * damage is reported once, and the file marked, to be set aside for a new one at its next open.
     */
    get damaged(): boolean {
        return this.guard.damaged;
    }

    /** Runs a lookup of the request path: a failing one gives `nothing` instead of failing the request. */
    private lookup<T>(nothing: T, read: () => T): T {
        return this.guard.read(nothing, read);
    }

    private checkEmbedding(embedding: Float32Array): void {
        if (embedding.length !== this.embedder.dimensions)
            throw new RangeError(`embedding has ${embedding.length} dimensions, the index holds ${this.embedder.dimensions} (${this.embedder.id})`);
    }

    /**
     * Add a cached prompt; `embedding` (from the configured embedder) goes into the vector index,
     * or pass null to make the entry findable by exact hash only. Throws if another row already
     * points at the same snapshot file.
     */
    insert(entry: NewCacheEntry, embedding: Float32Array | null): CacheEntry {
        if (embedding !== null) this.checkEmbedding(embedding);
        if (!Number.isFinite(entry.bytes) || entry.bytes < 0) throw new RangeError(`bytes must be a non-negative number, got ${entry.bytes}`);
        const snapshotFile = normalizeSnapshotPath(entry.snapshotFile);
        const created = entry.createdAt ?? this.now();
        const tokens = encodeTokens(entry.tokens);
        const tokenHash = entry.tokenHash ?? hashTokens(entry.tokens);
        const id = this.db.transaction(() => {
            const info = this.stmt(
                "INSERT INTO entries (model_fingerprint, scope, prompt_text, tokens, token_count, token_hash, snapshot_file, bytes, created_at, last_used_at, hit_count, embedder_id, owner) " +
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
            ).run(
                entry.modelFingerprint,
                entry.scope,
                entry.promptText,
                tokens,
                entry.tokens.length,
                tokenHash,
                snapshotFile,
                Math.round(entry.bytes),
                created,
                created,
                embedding === null ? null : this.embedder.id,
                entry.owner ?? null
            );
            const rowid = BigInt(info.lastInsertRowid);
            if (embedding !== null) {
                // vec0 rejects a JS number as rowid (better-sqlite3 binds it as REAL): pass a BigInt.
                this.stmt(INSERT_VECTOR_SQL).run(rowid, entry.modelFingerprint, entry.scope, vectorBlob(embedding), signCode(embedding), vectorBlob(embedding));
            }
            return Number(rowid);
        })();
        this.mirror.added(entry.modelFingerprint, id, entry.scope, embedding);
        return this.entry(id) as CacheEntry;
    }

    /** Put (or replace) the vector of an existing entry — used to re-embed after an index rebuild. */
    setEmbedding(id: number, embedding: Float32Array): void {
        this.checkEmbedding(embedding);
        const row = this.db.transaction(() => {
            const row = this.stmt("SELECT model_fingerprint, scope FROM entries WHERE id = ?").get(id) as
                {model_fingerprint: string; scope: string} | undefined;
            if (row === undefined) throw new Error(`no cache entry ${id}`);
            this.stmt(`DELETE FROM ${VEC_TABLE} WHERE rowid = ?`).run(BigInt(id));
            this.stmt(INSERT_VECTOR_SQL).run(BigInt(id), row.model_fingerprint, row.scope, vectorBlob(embedding), signCode(embedding), vectorBlob(embedding));
            this.stmt("UPDATE entries SET embedder_id = ? WHERE id = ?").run(this.embedder.id, id);
            return row;
        })();
        this.mirror.vectorReplaced(row.model_fingerprint, id, row.scope, embedding);
    }

    /**
     * Entries with no vector in the current index (after an embedder change), oldest first; none once the
     * index is {@link damaged} (re-embedding into it would be lost, and {@link get} finds nothing to re-embed).
     */
    entriesWithoutEmbedding(limit = 1000): Array<{id: number; promptText: string}> {
        const rows = this.lookup(
            [],
            () =>
                this.stmt("SELECT id, prompt_text FROM entries WHERE embedder_id IS NULL ORDER BY id LIMIT ?").all(limit) as Array<{
                    id: number;
                    prompt_text: string;
                }>
        );
        return rows.map((r) => ({id: r.id, promptText: r.prompt_text}));
    }

    /** The entry with this id, if any (none once the index is {@link damaged}). */
    get(id: number): CacheEntry | undefined {
        return this.lookup(undefined, () => this.entry(id));
    }

    private entry(id: number): CacheEntry | undefined {
        return readEntry((sql) => this.stmt(sql), id);
    }

    /**
     * A page of cached prompts, newest cached first (all models), and how many match: the admin's list, where one
     * confidential prompt can be found and deleted (see `browseEntries`). Its reads share one transaction, so that the
     * counts and the page agree even while another process (the CLI server beside the app) writes.
     */
    browse(query: CacheEntryQuery): CacheEntryPage {
        const none: CacheEntryPage = {total: 0, start: 0, entries: [], newest: 0, newer: 0, nextBefore: null, previousAfter: null};
        return this.lookup(none, () => this.db.transaction(() => browseEntries((sql) => this.stmt(sql), query))());
    }

    /** Number of entries (all models). */
    count(): number {
        return (this.stmt("SELECT COUNT(*) AS n FROM entries").get() as {n: number}).n;
    }

    /** Every entry of this model in one scope (e.g. the admin-marked shared prefixes), oldest first. */
    entriesInScope(modelFingerprint: string, scope: string): CacheEntry[] {
        return (
            this.stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE model_fingerprint = ? AND scope = ? ORDER BY id`).all(modelFingerprint, scope) as EntryRow[]
        ).map(toEntry);
    }

    /**
     * Exact hit: the most recently used entry of this model, visible in one of `scopes`, whose
     * tokens hash to `tokenHash` (see {@link hashTokens}).
     */
    findExact(modelFingerprint: string, scopes: readonly string[], tokenHash: string): CacheEntry | undefined {
        if (scopes.length === 0) return undefined;
        const row = this.lookup(
            undefined,
            () =>
                this.stmt(
                    `SELECT ${ENTRY_COLUMNS} FROM entries WHERE model_fingerprint = ? AND token_hash = ? ` +
                        `AND scope IN (${scopes.map(() => "?").join(", ")}) ORDER BY last_used_at DESC, id DESC LIMIT 1`
                ).get(modelFingerprint, tokenHash, ...scopes) as EntryRow | undefined
        );
        return row === undefined ? undefined : toEntry(row);
    }

    /**
     * Semantic candidates: up to `k` entries of this model, visible in one of `scopes`, whose
     * cosine similarity to `embedding` is ≥ `minSimilarity`, most similar first. Filtering by model
     * and scope happens inside the KNN (partition key + metadata column), so `k` is not wasted on
     * entries the caller may not use; the join re-checks both anyway.
     *
     * Up to {@link CacheStoreOptions.exactSearchLimit} entries of the model, the KNN compares every
     * vector: the result is the exact top k. Beyond, an in-memory sign-bit index (`SignCodeIndex`, kept
     * by {@link ConnectionMirror}) ranks sign bits by hamming distance and re-scores the best
     * `OVERSAMPLE`·k with their exact cosine similarity (the
     * similarity returned and ordered by): every entry sharing much of the prompt's text is among them,
     * while the order among near-ties of similarity is partly lost (`npm run bench:admission` measures it).
     * Nothing is found once the index is {@link damaged}.
     */
    nearest(modelFingerprint: string, scopes: readonly string[], embedding: Float32Array, k: number, minSimilarity: number): NearestEntry[] {
        this.checkEmbedding(embedding);
        if (scopes.length === 0 || k < 1) return [];
        const query = {modelFingerprint, scopes, embedding, k: Math.min(MAX_K, Math.floor(k)), minSimilarity};
        const stmt = (sql: string) => this.stmt(sql);
        return this.lookup([], () =>
            this.mirror.entryCount(modelFingerprint) > this.exactSearchLimit
                ? nearestBySignCode(stmt, this.mirror.index(modelFingerprint), query)
                : nearestExactly(stmt, query)
        );
    }

    /**
     * Reads the model's vectors into the in-memory search index in the background (see ConnectionMirror.warm), where
     * its searches use one (more than {@link CacheStoreOptions.exactSearchLimit} entries): the first request after a
     * start then finds it ready instead of filling it.
     */
    async warmIndex(modelFingerprint: string): Promise<void> {
        if (this.mirror.entryCount(modelFingerprint) > this.exactSearchLimit) await this.mirror.warm(modelFingerprint);
    }

    /** Record a use: last used = now, hit count + 1. */
    touch(id: number): void {
        this.stmt("UPDATE entries SET last_used_at = ?, hit_count = hit_count + 1 WHERE id = ?").run(this.now(), id);
    }

    /** Delete the row, its vector and its snapshot file; returns the removed entry. */
    remove(id: number): CacheEntry | undefined {
        return this.removal.remove([id])[0];
    }

    /** Entries and snapshot bytes of one scope, all models. */
    scopeTotals(scope: string): {entries: number; bytes: number} {
        const row = this.stmt("SELECT COUNT(*) AS entries, COALESCE(SUM(bytes), 0) AS bytes FROM entries WHERE scope = ?").get(scope) as {
            entries: number;
            bytes: number;
        };
        return {entries: row.entries, bytes: row.bytes};
    }

    /** Delete every entry of one scope, of every model (rows, vectors, snapshot files), leaving no trace; returns them. */
    removeScope(scope: string): CacheEntry[] {
        return this.removal.erase("WHERE scope = ?", scope);
    }

    /** Delete one entry leaving no trace of its text (as a purge: the write-ahead log too); returns it. */
    purge(id: number): CacheEntry | undefined {
        return this.removal.erase("WHERE id = ?", id)[0];
    }

    /** Delete every entry one sender stored, in whatever scope (rows, vectors, snapshot files); returns them. */
    removeOwner(owner: string): CacheEntry[] {
        return this.removal.erase("WHERE owner = ?", owner);
    }

    /** Delete every entry, of every model (rows, vectors, snapshot files), leaving no trace; returns them. */
    clear(): CacheEntry[] {
        return this.removal.erase("");
    }

    /** Sum of snapshot bytes, of one model or of all. */
    totalBytes(modelFingerprint?: string): number {
        const row = (
            modelFingerprint === undefined
                ? this.stmt("SELECT COALESCE(SUM(bytes), 0) AS total FROM entries").get()
                : this.stmt("SELECT COALESCE(SUM(bytes), 0) AS total FROM entries WHERE model_fingerprint = ?").get(modelFingerprint)
        ) as {total: number};
        return row.total;
    }

    /**
     * Evict until the snapshots total at most `maxBytes` (see {@link evictionOrder}: the stalest and biggest first,
     * kept entries spared); returns the removed entries (rows, vectors and files are gone). `slackBytes`: once over
     * the budget, evict that much further, so that a cache at its budget is not sorted whole again for every prompt
     * it stores (the sort costs ~15 ms at 15,000 entries).
     */
    evictToBudget(maxBytes: number, options: EvictionOptions = {}): CacheEntry[] {
        // One transaction: the removals act on the total and the order they were chosen by.
        return this.removal.removeChosen(() => this.evictionOrder(maxBytes, options));
    }

    /** The ids {@link evictToBudget} would remove, in its order (the caller removes them in steps, see removeEntries). */
    evictionOrder(maxBytes: number, options: EvictionOptions = {}): number[] {
        return evictionOrder((sql) => this.stmt(sql), this.now(), this.totalBytes(), maxBytes, options);
    }

    /** Removes these entries (rows, vectors, files) in one transaction; returns those that were still there. */
    removeEntries(ids: readonly number[]): CacheEntry[] {
        return this.removal.remove(ids);
    }

    /**
     * Gives the space of removed entries back to the file system (see reclaimSpace): after evictions, whose log
     * would otherwise keep its high-water mark and the file its size. Once per batch of evictions: it costs a
     * checkpoint.
     */
    reclaimSpace(): void {
        reclaimSpace(this.db);
    }

    /**
     * Reconcile rows and files (run at startup): drop rows whose snapshot file is missing, and
     * delete files under `snapshots/` that no row points to. Files modified within `graceMs`
     * (default 60 s) are left alone: a snapshot is written before its row is inserted, and a pass
     * running in between must not delete it.
     */
    consistencyPass(options: {graceMs?: number; rowGraceMs?: number} = {}): ConsistencyReport {
        return this.removal.consistencyPass(options);
    }

    /** Close the database (checkpoints the WAL). The store is unusable afterwards. */
    close(): void {
        this.statements.clear();
        this.db.close();
    }
}
