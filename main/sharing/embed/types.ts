/**
 * The one interface every prompt embedder implements. The cache store records `id` and
 * `dimensions` and rebuilds its vector index when either changes, so vectors of two embedders are
 * never compared.
 */
export interface Embedder {
    /** Stable identity of the vector space (algorithm, version, model, dimensions). Two embedders
     * with the same id must produce comparable vectors. */
    readonly id: string;
    /** Length of every vector `embed` returns. */
    readonly dimensions: number;
    /** One L2-normalised vector per text (cosine similarity = dot product); an all-zero vector for a
     * text with no features. Order matches `texts`. */
    embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Cosine similarity of two L2-normalised vectors (their dot product). */
export function dot(a: Float32Array, b: Float32Array): number {
    if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
    return s;
}

/** Scale `v` in place to unit L2 norm (a zero vector stays zero); returns `v`. */
export function normalizeInPlace(v: Float32Array): Float32Array {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
    if (s > 0) {
        const inv = 1 / Math.sqrt(s);
        for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
    }
    return v;
}
