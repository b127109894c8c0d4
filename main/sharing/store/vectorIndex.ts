/**
 * The sqlite-vec `vec0` table of prompt embeddings, keyed by the entry id (its rowid).
 *
 * - `model_fingerprint` is a *partition key*: a KNN query names one model, so sqlite-vec only
 *   scans that model's vectors — another model's entries cannot even be candidates.
 * - `scope` is a metadata column, filtered inside the KNN (`scope IN (...)`), so `k` counts only
 *   entries the caller may see instead of being eaten by other users' entries.
 * - Each vector is kept three ways: `embedding` (FLOAT, cosine) for the exact KNN `CacheStore.nearest`
 *   runs on up to a few thousand entries of a model; `vector`, the same floats as an auxiliary column,
 *   which fills the in-memory sign-bit index (`SignCodeIndex`) used beyond (reading a FLOAT column back
 *   from vec0 is slow, hence the copy); and `sign_code`, its sign bits, which sqlite-vec's hamming KNN
 *   searched before that index replaced it (4–5 ms at 10,000 entries against ~1.3 ms, measured side by
 *   side by `npm run bench:admission`). `sign_code` is still written so that a cache opened by an
 *   earlier version of the app finds the columns it expects.
 * - The dimension is fixed at creation. The meta table records which embedder filled the index;
 *   when the configured embedder differs, the index is dropped and recreated empty (vectors of two
 *   embedders are never compared) and every entry is marked as lacking a vector, to be re-embedded
 *   from its stored prompt text.
 */
import type Database from "better-sqlite3";

export const VEC_TABLE = "vec_entries";

/** Adds a vector: rowid (a BigInt), model fingerprint, scope, {@link vectorBlob}, {@link signCode}, {@link vectorBlob} again. */
export const INSERT_VECTOR_SQL = `INSERT INTO ${VEC_TABLE} (rowid, model_fingerprint, scope, embedding, sign_code, vector) VALUES (?, ?, ?, ?, vec_bit(?), ?)`;

/** Identity of the vector space an index holds. */
export interface EmbedderIdentity {
    readonly id: string;
    readonly dimensions: number;
}

/** What {@link ensureVectorIndex} did. */
export type VectorIndexState = "created" | "kept" | "rebuilt";

function createTable(db: Database.Database, dimensions: number): void {
    db.exec(
        `CREATE VIRTUAL TABLE ${VEC_TABLE} USING vec0(` +
            `model_fingerprint TEXT PARTITION KEY, scope TEXT, embedding FLOAT[${dimensions}] distance_metric=cosine, ` +
            `sign_code BIT[${signBits(dimensions)}], +vector BLOB)`
    );
}

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
        createTable(db, embedder.dimensions);
        db.prepare("UPDATE entries SET embedder_id = NULL").run();
        const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        setMeta.run("embedder_id", embedder.id);
        setMeta.run("embedder_dimensions", String(embedder.dimensions));
    })();
    return state;
}

/**
 * Schema migration 2: an index of the first layout (the `embedding FLOAT[n]` column alone) becomes
 * the current one, its vectors carried over, so an upgrade finds every cached prompt at once instead
 * of re-embedding them all. An index of any other shape is dropped; opening then rebuilds it and
 * re-embeds the entries.
 */
export function upgradeFloatIndex(db: Database.Database): void {
    const table = db.prepare<[string], {sql: string}>("SELECT sql FROM sqlite_master WHERE name = ?").get(VEC_TABLE);
    if (table === undefined) return;
    const dimensions = Number(/\bembedding\s+float\s*\[\s*(\d+)\s*\]/i.exec(table.sql)?.[1] ?? NaN);
    const rows =
        Number.isInteger(dimensions) && dimensions > 0
            ? (db.prepare(`SELECT rowid, model_fingerprint, scope, embedding FROM ${VEC_TABLE}`).all() as Array<{
                  rowid: number;
                  model_fingerprint: string;
                  scope: string;
                  embedding: Buffer;
              }>)
            : undefined;
    db.exec(`DROP TABLE ${VEC_TABLE}`);
    if (rows === undefined) return;
    createTable(db, dimensions);
    const insert = db.prepare(INSERT_VECTOR_SQL);
    for (const row of rows) {
        const vector = new Float32Array(row.embedding.buffer.slice(row.embedding.byteOffset, row.embedding.byteOffset + row.embedding.byteLength));
        insert.run(BigInt(row.rowid), row.model_fingerprint, row.scope, row.embedding, signCode(vector), row.embedding);
    }
}

/** Bits of a sign code: the dimension rounded up to whole bytes. */
function signBits(dimensions: number): number {
    return Math.ceil(dimensions / 8) * 8;
}

/**
 * The vector's sign bits (bit i set when component i is positive), padded with zero bits to whole
 * bytes. For vectors spread over many hashed or learned features, the share of differing sign bits
 * roughly follows the angle between two vectors.
 */
export function signCode(v: Float32Array): Buffer {
    const code = Buffer.alloc(signBits(v.length) / 8);
    for (let i = 0; i < v.length; i++) {
        if ((v[i] as number) > 0) code[i >> 3] = (code[i >> 3] as number) | (1 << (i & 7));
    }
    return code;
}

/** A Float32Array as the BLOB sqlite-vec expects (no copy). */
export function vectorBlob(v: Float32Array): Buffer {
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
