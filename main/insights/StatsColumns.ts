/**
 * The request log's dashboard numbers held in memory as typed-array columns, one row per logged request, in the
 * order the log reads them back (`at`, then `id`). The dashboard polls its numbers every 5 s and any issued key may
 * ask for its scope's: re-reading up to 200,000 rows from SQLite each time held the event loop ~2 s (and an
 * aggregation in SQL still reads every row of the window: ~140 ms at 200k rows even from a covering index, plus a
 * sort per median). The request log keeps these columns up to date instead (new rows read once, pruned rows dropped),
 * so a stats call is one pass over plain numbers: a few ms at the row cap, for ~60 bytes a row (≈ 12 MB at 200k).
 */

/** One row's numbers, as the columns keep them. */
export interface StatsRow {
    id: number;
    at: number;
    scope: string;
    promptTokens: number;
    reusedTokens: number;
    donorId: number | null;
    ttftMs: number;
    queueMs: number;
    /** Embed + retrieve + align, ms; only needed (and only read) for requests without reuse. */
    admissionMs: number | null;
}

const initialCapacity = 1024;

export class StatsColumns {
    public length = 0;
    public id = new Float64Array(initialCapacity);
    public at = new Float64Array(initialCapacity);
    /** Index into {@link scopes}. */
    public scope = new Int32Array(initialCapacity);
    public promptTokens = new Float64Array(initialCapacity);
    public reusedTokens = new Float64Array(initialCapacity);
    /** NaN: no donor. */
    public donorId = new Float64Array(initialCapacity);
    /** TTFT once a sequence was free for the request: max(0, TTFT − queue wait). */
    public servedTtft = new Float64Array(initialCapacity);
    /**
     * Prefill ms per prompt token of a request served without reuse: max(0, TTFT − queue wait − admission) ÷
     * prompt tokens; NaN for the others (with reuse, or no prompt tokens).
     */
    public prefillRate = new Float64Array(initialCapacity);
    /** The scopes seen, by index. */
    public readonly scopes: string[] = [];
    private readonly scopeIndex = new Map<string, number>();

    public static of(rows: Iterable<StatsRow>): StatsColumns {
        const columns = new StatsColumns();
        for (const row of rows) columns.push(row);
        return columns;
    }

    /** The scope's index, or -1 when no row has it. */
    public scopeId(scope: string): number {
        return this.scopeIndex.get(scope) ?? -1;
    }

    public push(row: StatsRow): void {
        if (this.length === this.id.length) this.resize(this.length * 2);
        const i = this.length++;
        let scope = this.scopeIndex.get(row.scope);
        if (scope == null) {
            scope = this.scopes.length;
            this.scopes.push(row.scope);
            this.scopeIndex.set(row.scope, scope);
        }
        this.id[i] = row.id;
        this.at[i] = row.at;
        this.scope[i] = scope;
        this.promptTokens[i] = row.promptTokens;
        this.reusedTokens[i] = row.reusedTokens;
        this.donorId[i] = row.donorId ?? NaN;
        this.servedTtft[i] = Math.max(0, row.ttftMs - row.queueMs);
        this.prefillRate[i] =
            row.reusedTokens > 0 || !(row.promptTokens > 0) ? NaN : Math.max(0, row.ttftMs - row.queueMs - (row.admissionMs ?? 0)) / row.promptTokens;
    }

    /** The last row's `at` and `id` ([-Infinity, -Infinity] when empty). */
    public last(): [number, number] {
        return this.length === 0 ? [-Infinity, -Infinity] : [this.at[this.length - 1]!, this.id[this.length - 1]!];
    }

    /** Keeps only the rows `keep` accepts (in order). */
    public retain(keep: (at: number, id: number) => boolean): number {
        let out = 0;
        for (let i = 0; i < this.length; i++) {
            if (!keep(this.at[i]!, this.id[i]!)) continue;
            if (out !== i) this.move(i, out);
            out++;
        }
        const removed = this.length - out;
        this.length = out;
        return removed;
    }

    /** Puts the rows back in (`at`, `id`) order (rows logged out of order: rare, so a plain re-sort). */
    public sortByTime(): void {
        const order = Array.from({length: this.length}, (_, i) => i).sort((a, b) => this.at[a]! - this.at[b]! || this.id[a]! - this.id[b]!);
        for (const name of ["id", "at", "promptTokens", "reusedTokens", "donorId", "servedTtft", "prefillRate"] as const) {
            const source = this[name];
            const sorted = new Float64Array(source.length);
            order.forEach((from, to) => (sorted[to] = source[from]!));
            this[name] = sorted;
        }
        const scope = new Int32Array(this.scope.length);
        order.forEach((from, to) => (scope[to] = this.scope[from]!));
        this.scope = scope;
    }

    private move(from: number, to: number): void {
        this.id[to] = this.id[from]!;
        this.at[to] = this.at[from]!;
        this.scope[to] = this.scope[from]!;
        this.promptTokens[to] = this.promptTokens[from]!;
        this.reusedTokens[to] = this.reusedTokens[from]!;
        this.donorId[to] = this.donorId[from]!;
        this.servedTtft[to] = this.servedTtft[from]!;
        this.prefillRate[to] = this.prefillRate[from]!;
    }

    private resize(capacity: number): void {
        const grow = <T extends Float64Array | Int32Array>(array: T): T => {
            const bigger = new (array.constructor as new (n: number) => T)(capacity);
            bigger.set(array.subarray(0, this.length));
            return bigger;
        };
        this.id = grow(this.id);
        this.at = grow(this.at);
        this.scope = grow(this.scope);
        this.promptTokens = grow(this.promptTokens);
        this.reusedTokens = grow(this.reusedTokens);
        this.donorId = grow(this.donorId);
        this.servedTtft = grow(this.servedTtft);
        this.prefillRate = grow(this.prefillRate);
    }
}

/**
 * The `k`-th smallest (0-based) of `values[0..length)`, reordering them (quickselect with a three-way partition:
 * O(n), where a sort of 200k values takes ~20 ms); equal to sorting and indexing. NaN must not occur.
 */
export function kthSmallest(values: Float64Array, length: number, k: number): number {
    let lo = 0;
    let hi = length - 1;
    while (lo < hi) {
        const pivot = median3(values[lo]!, values[(lo + hi) >>> 1]!, values[hi]!);
        // values[lo..lt) < pivot, values[lt..i) == pivot, values(gt..hi] > pivot.
        let lt = lo;
        let i = lo;
        let gt = hi;
        while (i <= gt) {
            const v = values[i]!;
            if (v < pivot) {
                values[i] = values[lt]!;
                values[lt] = v;
                lt++;
                i++;
            } else if (v > pivot) {
                values[i] = values[gt]!;
                values[gt] = v;
                gt--;
            } else i++;
        }
        if (k < lt) hi = lt - 1;
        else if (k > gt) lo = gt + 1;
        else return pivot;
    }
    return values[lo]!;
}

function median3(a: number, b: number, c: number): number {
    return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/** The median of `values[0..length)` as a sort would give it (the mean of the two middle ones for an even count). */
export function medianOf(values: Float64Array, length: number): number | null {
    if (length === 0) return null;
    const mid = Math.floor(length / 2);
    const upper = kthSmallest(values, length, mid);
    if (length % 2 === 1) return upper;
    // After the selection everything before `mid` is ≤ the upper middle: the lower middle is their largest.
    let lower = -Infinity;
    for (let i = 0; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
    return (lower + upper) / 2;
}
