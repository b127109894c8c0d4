/** The admin's list of cached prompts: a page of summaries, filtered by scope and by a piece of text. */
import type Database from "better-sqlite3";
import {summaryPreviewCharacters, type CacheEntryQuery, type CacheEntrySummary} from "./cacheEntry.js";

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

/**
 * A page of cached prompts, most recently used first (all models), and how many match. `text` matches anywhere,
 * case-insensitively for ASCII (SQLite's LIKE); its wildcards are taken literally. `stmt` prepares (and caches) a statement.
 */
export function browseEntries(stmt: (sql: string) => Database.Statement, query: CacheEntryQuery): {total: number; entries: CacheEntrySummary[]} {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.scope != null) {
        conditions.push("scope = ?");
        params.push(query.scope);
    }
    if (query.text != null && query.text !== "") {
        conditions.push("prompt_text LIKE ? ESCAPE '\\'");
        params.push(`%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    const total = (stmt(`SELECT COUNT(*) AS n FROM entries ${where}`).get(...params) as {n: number}).n;
    const rows = stmt(
        `SELECT id, model_fingerprint, scope, owner, substr(prompt_text, 1, ${summaryPreviewCharacters}) AS preview, length(prompt_text) AS characters, ` +
            `token_count, bytes, created_at, last_used_at, hit_count FROM entries ${where} ORDER BY last_used_at DESC, id DESC LIMIT ? OFFSET ?`
    ).all(...params, query.limit, query.offset) as SummaryRow[];
    return {
        total,
        entries: rows.map((row) => ({
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
        }))
    };
}
