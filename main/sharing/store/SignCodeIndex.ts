/**
 * One model's prompt vectors held in memory for the search beyond the exact-scan limit: each
 * vector's sign bits (32 to an array element) for a hamming-distance scan, and the vector itself
 * for the exact cosine re-score of the scan's best candidates.
 *
 * Why not sqlite-vec's own `bit[]` KNN: at 10,000 cached prompts its scan (with the scope filter and
 * the re-score join) took 4–5 ms of a 5 ms admission budget on the 2-core dev machine, most of it
 * per-row overhead of the virtual table, while a scan of the same bits in a typed array takes about
 * a millisecond. The vec0 table stays the persistent index and the only source of these vectors:
 * the mirror is filled from it and follows this connection's changes (see `CacheStore`).
 */

/** Set bits of a 32-bit value (the SWAR popcount: in V8 faster than table lookups). */
function popcount32(v: number): number {
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** A candidate of {@link SignCodeIndex.search}. */
export interface SignCodeHit {
    readonly id: number;
    /** Exact cosine similarity of the stored vector and the query. */
    readonly similarity: number;
}

/** See the module comment. Rows are kept dense: a removal moves the last row into the gap. */
export class SignCodeIndex {
    /** Entry ids above which rows may be missing (added by another connection since the last sync). */
    syncedThrough = 0;
    private size = 0;
    private readonly words: number;
    private ids = new Int32Array(0);
    private scopeIds = new Int32Array(0);
    private norms = new Float64Array(0);
    private codes = new Int32Array(0);
    private vectors = new Float32Array(0);
    private readonly rowOf = new Map<number, number>();
    private readonly scopeIdOf = new Map<string, number>();

    constructor(readonly dimensions: number) {
        this.words = Math.ceil(dimensions / 32);
    }

    get count(): number {
        return this.size;
    }

    /** Add the entry's vector, or replace the one it has. */
    set(id: number, scope: string, vector: Float32Array): void {
        if (vector.length !== this.dimensions) throw new RangeError(`vector has ${vector.length} dimensions, the index ${this.dimensions}`);
        let row = this.rowOf.get(id);
        if (row === undefined) {
            if (this.size === this.ids.length) this.grow(Math.max(64, this.size * 2));
            row = this.size++;
            this.rowOf.set(id, row);
        }
        let scopeId = this.scopeIdOf.get(scope);
        if (scopeId === undefined) {
            scopeId = this.scopeIdOf.size;
            this.scopeIdOf.set(scope, scopeId);
        }
        this.ids[row] = id;
        this.scopeIds[row] = scopeId;
        this.vectors.set(vector, row * this.dimensions);
        let squares = 0;
        for (let i = 0; i < vector.length; i++) squares += (vector[i] as number) * (vector[i] as number);
        this.norms[row] = Math.sqrt(squares);
        const code = signCode32(vector, this.words);
        this.codes.set(code, row * this.words);
    }

    delete(id: number): void {
        const row = this.rowOf.get(id);
        if (row === undefined) return;
        this.rowOf.delete(id);
        const last = --this.size;
        if (row === last) return;
        const moved = this.ids[last] as number;
        this.ids[row] = moved;
        this.scopeIds[row] = this.scopeIds[last] as number;
        this.norms[row] = this.norms[last] as number;
        this.codes.copyWithin(row * this.words, last * this.words, (last + 1) * this.words);
        this.vectors.copyWithin(row * this.dimensions, last * this.dimensions, (last + 1) * this.dimensions);
        this.rowOf.set(moved, row);
    }

    /**
     * The `k` most similar entries of `scopes` among the `candidates` nearest in hamming distance,
     * most similar first (ties: lower id). A zero vector, stored or asked, has no cosine and is
     * never returned.
     */
    search(scopes: readonly string[], query: Float32Array, k: number, candidates: number): SignCodeHit[] {
        if (query.length !== this.dimensions) throw new RangeError(`query has ${query.length} dimensions, the index ${this.dimensions}`);
        const allowed = new Uint8Array(this.scopeIdOf.size);
        for (const scope of scopes) {
            const scopeId = this.scopeIdOf.get(scope);
            if (scopeId !== undefined) allowed[scopeId] = 1;
        }
        let queryNorm = 0;
        for (let i = 0; i < query.length; i++) queryNorm += (query[i] as number) * (query[i] as number);
        queryNorm = Math.sqrt(queryNorm);
        if (queryNorm === 0 || k < 1) return [];

        // Two rounds, each keeping the best rows by a histogram of their distances (two linear passes,
        // no heap): every visible row by the hamming distance of its first 128 sign bits, then the best
        // eight times `candidates` of those by all bits. The first round reads a third of the bits of
        // 384-dim vectors; the rows it drops are far from the query in every sense that matters here.
        const limit = Math.max(k, candidates);
        const words = this.words;
        const q = signCode32(query, words);
        const prefixWords = Math.min(words, 4);
        const {codes, scopeIds, size} = this;
        let rows: Int32Array = new Int32Array(size);
        let visible = 0;
        for (let row = 0; row < size; row++) if (allowed[scopeIds[row] as number] === 1) rows[visible++] = row;
        rows = rows.subarray(0, visible);
        if (prefixWords < words && visible > 8 * limit) rows = nearestRows(rows, codes, words, q, prefixWords, 8 * limit);
        const bestRows = nearestRows(rows, codes, words, q, words, limit);

        const hits: SignCodeHit[] = [];
        const {ids, norms, vectors, dimensions} = this;
        for (const row of bestRows) {
            const norm = norms[row] as number;
            if (norm === 0) continue;
            let product = 0;
            const base = row * dimensions;
            for (let i = 0; i < dimensions; i++) product += (vectors[base + i] as number) * (query[i] as number);
            hits.push({id: ids[row] as number, similarity: product / (norm * queryNorm)});
        }
        return hits.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k);
    }

    private grow(capacity: number): void {
        const grown = <T extends Int32Array | Float64Array | Float32Array>(old: T, fresh: T): T => {
            fresh.set(old as never);
            return fresh;
        };
        this.ids = grown(this.ids, new Int32Array(capacity));
        this.scopeIds = grown(this.scopeIds, new Int32Array(capacity));
        this.norms = grown(this.norms, new Float64Array(capacity));
        this.codes = grown(this.codes, new Int32Array(capacity * this.words));
        this.vectors = grown(this.vectors, new Float32Array(capacity * this.dimensions));
    }
}

/**
 * The `limit` of `rows` nearest `q` by the hamming distance of their first `prefixWords` code words
 * (ties: the earlier row), in row order.
 */
function nearestRows(rows: Int32Array, codes: Int32Array, words: number, q: Int32Array, prefixWords: number, limit: number): Int32Array {
    if (rows.length <= limit) return rows;
    const distances = new Int32Array(rows.length);
    const histogram = new Int32Array(prefixWords * 32 + 1);
    for (let r = 0; r < rows.length; r++) {
        const base = (rows[r] as number) * words;
        let distance = 0;
        for (let w = 0; w < prefixWords; w++) distance += popcount32((codes[base + w] as number) ^ (q[w] as number));
        distances[r] = distance;
        histogram[distance] = (histogram[distance] as number) + 1;
    }
    // Every row up to the cut-off distance, and as many at exactly that distance as still fit.
    let cutoff = 0;
    let taken = 0;
    while (taken + (histogram[cutoff] as number) < limit) taken += histogram[cutoff++] as number;
    let atCutoff = limit - taken;
    const out = new Int32Array(limit);
    let n = 0;
    for (let r = 0; r < rows.length && n < limit; r++) {
        const distance = distances[r] as number;
        if (distance < cutoff || (distance === cutoff && atCutoff-- > 0)) out[n++] = rows[r] as number;
    }
    return out;
}

/** Sign bits (bit i set when component i is positive), 32 to an element, zero-padded. */
function signCode32(v: Float32Array, words: number): Int32Array {
    const code = new Int32Array(words);
    for (let i = 0; i < v.length; i++) if ((v[i] as number) > 0) code[i >> 5] = (code[i >> 5] as number) | (1 << (i & 31));
    return code;
}
