/** The cache index's nearest-neighbour search: sqlite-vec's exact KNN, or sign bits re-scored beyond its limit. */
import type Database from "better-sqlite3";
import {ENTRY_COLUMNS, toEntry, type EntryRow, type NearestEntry} from "./cacheEntry.js";
import type {SignCodeIndex} from "./SignCodeIndex.js";
import {VEC_TABLE, vectorBlob} from "./vectorIndex.js";

/** sqlite-vec's KNN accepts k up to 4096. */
export const MAX_K = 4096;
/**
 * Candidates the sign-bit search keeps per result, for the exact re-score. Its cost grows with this
 * (each is a 384-dim dot product) and what more candidates buy is the order among
 * near-ties of similarity; a prompt sharing much of the query's text is far ahead in hamming
 * distance as in cosine. `npm run bench:admission` measures recall for several values.
 */
const OVERSAMPLE = 8;

/** Prepares (and caches) a statement. */
type Statements = (sql: string) => Database.Statement;

/** Up to `k` entries of a model, in one of `scopes`, at least `minSimilarity` cosine-similar to `embedding`. */
export interface NearestQuery {
    modelFingerprint: string;
    scopes: readonly string[];
    embedding: Float32Array;
    k: number;
    minSimilarity: number;
}

/** `CacheStore.nearest` up to the exact-scan limit: sqlite-vec's KNN compares every vector of the model. */
export function nearestExactly(stmt: Statements, {modelFingerprint, scopes, embedding, k, minSimilarity}: NearestQuery): NearestEntry[] {
    const scopeList = scopes.map(() => "?").join(", ");
    const filter = `model_fingerprint = ? AND scope IN (${scopeList})`;
    const rows = stmt(
        `WITH knn AS (SELECT rowid, distance FROM ${VEC_TABLE} WHERE embedding MATCH ? AND k = ? AND ${filter}) ` +
            `SELECT ${ENTRY_COLUMNS.split(", ")
                .map((c) => `e.${c}`)
                .join(", ")}, knn.distance AS distance ` +
            `FROM knn JOIN entries e ON e.id = knn.rowid ` +
            `WHERE e.model_fingerprint = ? AND e.scope IN (${scopeList}) ORDER BY knn.distance, e.id`
    ).all(vectorBlob(embedding), k, modelFingerprint, ...scopes, modelFingerprint, ...scopes) as Array<EntryRow & {distance: number | null}>;
    const out: NearestEntry[] = [];
    for (const row of rows) {
        // A zero vector (a text without features) has no cosine: sqlite-vec gives NULL, never a match.
        if (row.distance === null) continue;
        // sqlite-vec's cosine distance is 1 − cosine similarity.
        const similarity = 1 - row.distance;
        if (similarity >= minSimilarity) out.push({entry: toEntry(row), similarity});
    }
    return out;
}

/** `CacheStore.nearest` beyond the exact-scan limit: sign bits, then the exact cosine of the best {@link OVERSAMPLE}·k. */
export function nearestBySignCode(
    stmt: Statements,
    index: SignCodeIndex,
    {modelFingerprint, scopes, embedding, k, minSimilarity}: NearestQuery
): NearestEntry[] {
    const hits = index.search(scopes, embedding, k, Math.min(MAX_K, k * OVERSAMPLE)).filter((hit) => hit.similarity >= minSimilarity);
    if (hits.length === 0) return [];
    // By id alone, so SQLite looks up the few rows by rowid (a model filter here would have it walk
    // the model's index instead); model and scope are checked again below.
    const rows = stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id IN (${hits.map(() => "?").join(", ")})`).all(...hits.map((hit) => hit.id)) as EntryRow[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const out: NearestEntry[] = [];
    for (const hit of hits) {
        const row = byId.get(hit.id);
        // Removed by another connection since the index was filled.
        if (row === undefined) index.delete(hit.id);
        else if (row.model_fingerprint === modelFingerprint && scopes.includes(row.scope)) out.push({entry: toEntry(row), similarity: hit.similarity});
    }
    return out;
}
