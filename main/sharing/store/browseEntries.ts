/** The admin's list of cached prompts: a page of summaries, filtered by scope and by a piece of text. */
import type Database from "better-sqlite3";
import {pageWindow} from "../../../shared/cachedPromptsListing.js";
import {foldCase} from "../../../shared/foldCase.js";
import {summaryPreviewCharacters, type CacheEntryPage, type CacheEntryQuery, type CacheEntrySummary} from "./cacheEntry.js";

interface SummaryRow {
    id: number;
    model_fingerprint: string;
    scope: string;
    owner: string | null;
    preview: string;
    characters: number;
    token_count: number;
    bytes: number;
    created_at: number;
    last_used_at: number;
    hit_count: number;
}

/** The SQL function {@link registerTextSearch} adds: whether a text, case folded, holds an already folded piece. */
const HOLDS_FOLDED = "kvshare_holds_folded";

/**
 * Adds the text search's SQL function to a connection. SQLite's LIKE folds the case of ASCII letters only ("ÉCOLE"
 * would not find "école"); this folds any script's (see `foldCase`), and takes `%` and `_` as the characters they are.
 */
export function registerTextSearch(db: Database.Database): void {
    db.function(HOLDS_FOLDED, {deterministic: true}, (text: unknown, folded: unknown) =>
        typeof text === "string" && typeof folded === "string" && foldCase(text).includes(folded) ? 1 : 0
    );
}

/** The WHERE clause of a query's filters, and its parameters; the cheap scope test first. */
function filters(query: CacheEntryQuery): {where: string; params: unknown[]} {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.scope != null) {
        conditions.push("scope = ?");
        params.push(query.scope);
    }
    // A text of marks alone (a tatweel, an accent) folds to nothing: it holds no word, and finds nothing.
    if (query.text != null && query.text !== "" && foldCase(query.text) === "") conditions.push("0");
    else if (query.text != null && query.text !== "") {
        // Calling into JS costs more than the search itself: a text of ASCII characters alone (its length in characters
        // that in bytes) folds to its lowercase, where LIKE, which folds ASCII letters, finds exactly what the function
        // would; only the other texts go to it.
        conditions.push(
            "CASE WHEN length(prompt_text) = octet_length(prompt_text) THEN prompt_text LIKE ? ESCAPE '\\' " + `ELSE ${HOLDS_FOLDED}(prompt_text, ?) END`
        );
        const folded = foldCase(query.text);
        params.push(`%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, folded);
    }
    return {where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params};
}

/**
 * A page of cached prompts, newest cached first (all models), where it lies among those matching, and how many
 * were cached since the listing began. Every matching id is read at once: a text search reads each prompt's text
 * once per page, and the counts, the page and its neighbours' boundaries all come from that one pass.
 * `stmt` prepares (and caches) a statement; call it inside a transaction, so that its reads see one state.
 */
export function browseEntries(stmt: (sql: string) => Database.Statement, query: CacheEntryQuery): CacheEntryPage {
    const {where, params} = filters(query);
    const newest = query.newest ?? (stmt("SELECT COALESCE(MAX(id), 0) FROM entries").pluck().get() as number);
    // Unordered, SQLite may read the ids off its smallest index instead of the whole table: sorted here.
    const matching = (
        stmt(`SELECT id FROM entries ${where}`)
            .pluck()
            .all(...params) as number[]
    ).sort((a, b) => b - a);
    const newer = matching.findIndex((id) => id <= newest);
    const listing = newer < 0 ? [] : matching.slice(newer);
    const window = pageWindow(listing, query, query.limit);
    return {
        total: listing.length,
        start: window.start,
        entries: summaries(stmt, listing.slice(window.start, window.end)),
        newest,
        newer: newer < 0 ? matching.length : newer,
        nextBefore: window.nextBefore,
        previousAfter: window.previousAfter
    };
}

/** The summaries of these entries, in the order of `ids` (newest first). */
function summaries(stmt: (sql: string) => Database.Statement, ids: readonly number[]): CacheEntrySummary[] {
    if (ids.length === 0) return [];
    // The ids as one JSON parameter: one statement whatever the page's length.
    const rows = stmt(
        `SELECT id, model_fingerprint, scope, owner, substr(prompt_text, 1, ${summaryPreviewCharacters}) AS preview, length(prompt_text) AS characters, ` +
            `token_count, bytes, created_at, last_used_at, hit_count FROM entries WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id DESC`
    ).all(JSON.stringify(ids)) as SummaryRow[];
    return rows.map((row) => ({
        id: row.id,
        modelFingerprint: row.model_fingerprint,
        scope: row.scope,
        owner: row.owner,
        preview: row.preview,
        promptCharacters: row.characters,
        tokens: row.token_count,
        bytes: row.bytes,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        hitCount: row.hit_count
    }));
}
