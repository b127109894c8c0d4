/**
 * What one CacheStore connection keeps in memory of the committed index, so a search costs no scan: the
 * entry count per model (it chooses the kind of search) and, for models searched beyond the exact-scan
 * limit, every vector in a {@link SignCodeIndex}.
 *
 * This connection's own changes are applied by the store as they commit (a count follows a removal inside
 * its transaction already). Another connection's commits are noticed by `PRAGMA data_version`: the counts
 * are then read again, and the entries it added are read in before the next search (ids only grow, so
 * those above `syncedThrough`); an entry it removed is dropped from the index by the store's search when
 * it finds the row gone. A vector it replaced (re-embedding after an embedder change, which the app does
 * at start) is seen once the store is opened again.
 */
import type Database from "better-sqlite3";
import {SignCodeIndex} from "./SignCodeIndex.js";
import {VEC_TABLE} from "./vectorIndex.js";

/** Prepares (and caches) a statement of the store's connection. */
export type PrepareStatement = (sql: string) => Database.Statement;

export class ConnectionMirror {
    /**
     * Counted when first needed (~0.5 ms at 10,000 entries), then kept up to date. A miscount after a
     * rolled-back change costs nothing but speed: the count only chooses the kind of search.
     */
    private readonly entryCounts = new Map<string, number>();
    private readonly indexes = new Map<string, SignCodeIndex>();
    /** Models whose index may lack entries another connection (or the first fill) added. */
    private readonly stale = new Set<string>();
    private dataVersion: unknown;

    public constructor(
        private readonly stmt: PrepareStatement,
        private readonly dimensions: number
    ) {}

    /** Entries of the model, committed by any connection. */
    public entryCount(modelFingerprint: string): number {
        const version: unknown = this.stmt("PRAGMA data_version").pluck().get();
        if (version !== this.dataVersion) {
            this.entryCounts.clear();
            for (const model of this.indexes.keys()) this.stale.add(model);
            this.dataVersion = version;
        }
        let count = this.entryCounts.get(modelFingerprint);
        if (count === undefined) {
            count = this.stmt("SELECT COUNT(*) FROM entries WHERE model_fingerprint = ?").pluck().get(modelFingerprint) as number;
            this.entryCounts.set(modelFingerprint, count);
        }
        return count;
    }

    /** The model's index, filled on first use, with what other connections added since the last search read in. */
    public index(modelFingerprint: string): SignCodeIndex {
        let index = this.indexes.get(modelFingerprint);
        if (index === undefined) {
            index = new SignCodeIndex(this.dimensions);
            this.indexes.set(modelFingerprint, index);
            this.stale.add(modelFingerprint);
        }
        if (this.stale.delete(modelFingerprint)) this.readInto(modelFingerprint, index, -1);
        return index;
    }

    /**
     * Fills the model's index ahead of its first search, `batchSize` entries at a time with the event loop free in
     * between: filled by the first search, 15,000 entries held every request up for 2.5 s after a restart. A search
     * meanwhile reads in only what is left.
     */
    public async warm(modelFingerprint: string, batchSize = 128): Promise<void> {
        const index = this.indexes.get(modelFingerprint) ?? new SignCodeIndex(this.dimensions);
        if (!this.indexes.has(modelFingerprint)) {
            this.indexes.set(modelFingerprint, index);
            this.stale.add(modelFingerprint);
        }
        while (this.stale.has(modelFingerprint) && this.readInto(modelFingerprint, index, batchSize) === batchSize)
            await new Promise((resolve) => setImmediate(resolve));
        this.index(modelFingerprint);
    }

    /** Reads the model's entries added since the index's last read into it (at most `limit`; -1: all); returns how many. */
    private readInto(modelFingerprint: string, index: SignCodeIndex, limit: number): number {
        // Entries by id from where the index stopped (`+`: not through the model's index, with which SQLite read every
        // entry of the model and sorted them for each batch), then each one's vector by its rowid (an entry without
        // one is found by exact hash only).
        const rows = this.stmt("SELECT id, scope FROM entries WHERE id > ? AND +model_fingerprint = ? ORDER BY id LIMIT ?").all(
            index.syncedThrough,
            modelFingerprint,
            limit
        ) as Array<{id: number; scope: string}>;
        const vectorOf = this.stmt(`SELECT vector FROM ${VEC_TABLE} WHERE rowid = ?`).pluck();
        for (const row of rows) {
            const vector = vectorOf.get(BigInt(row.id)) as Buffer | undefined;
            if (vector != null) index.set(row.id, row.scope, new Float32Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength)));
            index.syncedThrough = row.id;
        }
        return rows.length;
    }

    /** This connection committed an entry (with its vector, or none: findable by exact hash only). */
    public added(modelFingerprint: string, id: number, scope: string, embedding: Float32Array | null): void {
        if (embedding !== null) this.indexes.get(modelFingerprint)?.set(id, scope, embedding);
        this.countChange(modelFingerprint, 1);
    }

    /** This connection committed a new vector for an entry. */
    public vectorReplaced(modelFingerprint: string, id: number, scope: string, embedding: Float32Array): void {
        this.indexes.get(modelFingerprint)?.set(id, scope, embedding);
    }

    /** An entry's row went in a transaction of this connection that has not committed yet: only the count follows. */
    public rowRemoved(modelFingerprint: string): void {
        this.countChange(modelFingerprint, -1);
    }

    /** Removals of this connection committed: their vectors leave the search (a rolled-back removal hides no row). */
    public removalsCommitted(entries: ReadonlyArray<{readonly id: number; readonly modelFingerprint: string}>): void {
        for (const entry of entries) this.indexes.get(entry.modelFingerprint)?.delete(entry.id);
    }

    private countChange(modelFingerprint: string, delta: number): void {
        const count = this.entryCounts.get(modelFingerprint);
        if (count !== undefined) this.entryCounts.set(modelFingerprint, count + delta);
    }
}
