/**
 * The sqlite-vec `vec0` table of prompt embeddings, keyed by the entry id (its rowid).
 *
 * - `model_fingerprint` is a *partition key*: a KNN query names one model, so sqlite-vec only
 *   scans that model's vectors — another model's entries cannot even be candidates.
 * - `scope` is a metadata column, filtered inside the KNN (`scope IN (...)`), so `k` counts only
 *   entries the caller may see instead of being eaten by other users' entries.
 * - The dimension is fixed at creation. The meta table records which embedder filled the index;
 *   when the configured embedder differs, the index is dropped and recreated empty (vectors of two
 *   embedders are never compared) and every entry is marked as lacking a vector, to be re-embedded
 *   from its stored prompt text.
 */
import type Database from "better-sqlite3";

export const VEC_TABLE = "vec_entries";

/** Identity of the vector space an index holds. */
export interface EmbedderIdentity {
    readonly id: string;
    readonly dimensions: number;
}

/** What {@link ensureVectorIndex} did. */
export type VectorIndexState = "created" | "kept" | "rebuilt";

/** Make sure the vec0 table matches `embedder`; see the module comment. */
export function ensureVectorIndex(db: Database.Database, embedder: EmbedderIdentity): VectorIndexState {
    if (!Number.isInteger(embedder.dimensions) || embedder.dimensions < 1 || embedder.dimensions > 8192)
        throw new RangeError(`embedder dimensions must be an integer in [1, 8192], got ${embedder.dimensions}`);
    const getMeta = db.prepare<[string], {value: string}>("SELECT value FROM meta WHERE key = ?");
    const storedId = getMeta.get("embedder_id")?.value;
    const storedDims = Number(getMeta.get("embedder_dimensions")?.value ?? NaN);
    const tableExists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(VEC_TABLE) !== undefined;

    if (tableExists && storedId === embedder.id && storedDims === embedder.dimensions) return "kept";

    const state: VectorIndexState = tableExists || storedId !== undefined ? "rebuilt" : "created";
    db.transaction(() => {
        db.exec(`DROP TABLE IF EXISTS ${VEC_TABLE}`);
        db.exec(
            `CREATE VIRTUAL TABLE ${VEC_TABLE} USING vec0(` +
                `model_fingerprint TEXT PARTITION KEY, scope TEXT, ` +
                `embedding FLOAT[${embedder.dimensions}] distance_metric=cosine)`
        );
        db.prepare("UPDATE entries SET embedder_id = NULL").run();
        const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        setMeta.run("embedder_id", embedder.id);
        setMeta.run("embedder_dimensions", String(embedder.dimensions));
    })();
    return state;
}

/** A Float32Array as the BLOB sqlite-vec expects (no copy). */
export function vectorBlob(v: Float32Array): Buffer {
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
