/** A cached prompt's row: what the cache index holds per prompt, and its mapping from SQLite. */
import {decodeTokens} from "./tokens.js";

/** One cached prompt. */
export interface CacheEntry {
    readonly id: number;
    readonly modelFingerprint: string;
    /** Who may reuse it: "global", "group:<name>", "user:<name>", … (the caller decides the names). */
    readonly scope: string;
    readonly promptText: string;
    readonly tokens: Int32Array;
    /** sha256 hex of the tokens (see `hashTokens` in tokens.ts). */
    readonly tokenHash: string;
    /** Snapshot path relative to the cache dir, '/' separators. */
    readonly snapshotFile: string;
    readonly bytes: number;
    readonly createdAt: number;
    readonly lastUsedAt: number;
    readonly hitCount: number;
    /** Embedder whose vector of this prompt is in the index; null when it has none (yet). */
    readonly embedderId: string | null;
    /** Who sent the prompt (the request's user); null when unknown (stored before senders were kept, a shared prefix). */
    readonly owner: string | null;
}

/** What `CacheStore.insert` needs; the rest is derived or defaulted. */
export interface NewCacheEntry {
    readonly modelFingerprint: string;
    readonly scope: string;
    readonly promptText: string;
    readonly tokens: ArrayLike<number>;
    /**
     * Hash used for exact hits (see `CacheStore.findExact`); default: of `tokens`. The request path
     * stores prompt + answer KV but looks entries up by the prompt, so it passes the prompt's hash.
     */
    readonly tokenHash?: string;
    /** Relative to the cache dir (normally under `snapshots/`); must not escape it. */
    readonly snapshotFile: string;
    readonly bytes: number;
    /** Default: now. */
    readonly createdAt?: number;
    /** Who sent the prompt (see {@link CacheEntry.owner}). */
    readonly owner?: string;
}

/** What the admin's list of cached prompts shows of one (the text cut to a preview). */
export interface CacheEntrySummary {
    readonly id: number;
    readonly modelFingerprint: string;
    readonly scope: string;
    readonly owner: string | null;
    /** The prompt's text, its first {@link summaryPreviewCharacters} characters. */
    readonly preview: string;
    readonly promptCharacters: number;
    readonly tokens: number;
    readonly bytes: number;
    readonly createdAt: number;
    readonly lastUsedAt: number;
    readonly hitCount: number;
}

/** Characters of a cached prompt's text the list shows. */
export const summaryPreviewCharacters = 300;

/**
 * Which cached prompts to list: one scope's, those whose text holds `text` (case folded), a page of them, newest
 * cached first (see shared/cachedPromptsListing.ts for why that order, and what a listing is).
 */
export interface CacheEntryQuery {
    readonly scope?: string;
    readonly text?: string;
    /** The listing's newest id: prompts cached after it are left out (and counted). Default: the newest now, a new listing. */
    readonly newest?: number;
    /** The page of the entries just older than this id (the one after a page ending with it). */
    readonly before?: number;
    /** The page of the entries just newer than this id (the one before a page starting with it; 0: the last page). */
    readonly after?: number;
    /** Entries skipped, from the start or from `before`. */
    readonly offset?: number;
    readonly limit: number;
}

/** A page of cached prompts, where it lies in its listing, and where the pages next to it are. */
export interface CacheEntryPage {
    /** Matching entries of the listing (cached by its start, not deleted since). */
    readonly total: number;
    /** Index of the page's first entry among them. */
    readonly start: number;
    readonly entries: CacheEntrySummary[];
    /** The listing's newest id (see {@link CacheEntryQuery.newest}), for the cursors of the pages next to this one. */
    readonly newest: number;
    /** Matching entries cached since the listing began: a new listing shows them. */
    readonly newer: number;
    /** `before` of the next page; null on the last page. */
    readonly nextBefore: number | null;
    /** `after` of the previous page; null on the first page. */
    readonly previousAfter: number | null;
}

/** A semantic candidate. */
export interface NearestEntry {
    readonly entry: CacheEntry;
    /** Cosine similarity in [-1, 1]. */
    readonly similarity: number;
}

/** Result of `CacheStore.consistencyPass`. */
export interface ConsistencyReport {
    /** Rows dropped because their snapshot file is missing. */
    readonly removedEntries: CacheEntry[];
    /** Files (relative to the cache dir) deleted because no row points to them. */
    readonly deletedFiles: string[];
}

/** The entries table's columns, in {@link EntryRow}'s order. */
export const ENTRY_COLUMNS =
    "id, model_fingerprint, scope, prompt_text, tokens, token_hash, snapshot_file, bytes, created_at, last_used_at, hit_count, embedder_id, owner";

/** A row of the entries table as better-sqlite3 returns it. */
export interface EntryRow {
    id: number;
    model_fingerprint: string;
    scope: string;
    prompt_text: string;
    tokens: Buffer;
    token_hash: string;
    snapshot_file: string;
    bytes: number;
    created_at: number;
    last_used_at: number;
    hit_count: number;
    embedder_id: string | null;
    owner: string | null;
}

/** The entry of this id, read with `prepare` (a connection's statement cache); undefined where there is none. */
export function readEntry(prepare: (sql: string) => {get(...params: unknown[]): unknown}, id: number): CacheEntry | undefined {
    const row = prepare(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id = ?`).get(id) as EntryRow | undefined;
    return row === undefined ? undefined : toEntry(row);
}

export function toEntry(row: EntryRow): CacheEntry {
    return {
        id: row.id,
        modelFingerprint: row.model_fingerprint,
        scope: row.scope,
        promptText: row.prompt_text,
        tokens: decodeTokens(row.tokens),
        tokenHash: row.token_hash,
        snapshotFile: row.snapshot_file,
        bytes: row.bytes,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        hitCount: row.hit_count,
        embedderId: row.embedder_id,
        owner: row.owner
    };
}
