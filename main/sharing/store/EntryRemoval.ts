/**
 * How entries leave the cache index, the one way rows, vectors, the in-memory search and snapshot files go
 * together: rows and their vectors in one transaction, then, once it committed, the vectors out of the search
 * ({@link ConnectionMirror}) and the files off the disk. On a full disk the files go first, to give SQLite
 * room to log the deletion.
 */
import fs from "node:fs";
import type Database from "better-sqlite3";
import {isDiskFull} from "../../common/diskSpace.js";
import {readEntry, type CacheEntry, type ConsistencyReport} from "./cacheEntry.js";
import type {ConnectionMirror, PrepareStatement} from "./ConnectionMirror.js";
import {reclaimSpace} from "./reclaimSpace.js";
import {deleteUnreferencedSnapshots, snapshotAbsolutePath, unlinkQuiet} from "./snapshotFiles.js";
import {VEC_TABLE} from "./vectorIndex.js";

const isEntry = (entry: CacheEntry | undefined): entry is CacheEntry => entry !== undefined;

/** Removal of a CacheStore's entries (see the module comment); the store's public removals run through it. */
export class EntryRemoval {
    public constructor(
        private readonly db: Database.Database,
        private readonly stmt: PrepareStatement,
        private readonly mirror: ConnectionMirror,
        private readonly cacheDir: string,
        private readonly now: () => number,
        private readonly warn: ((message: string) => void) | undefined
    ) {}

    /** Removes these entries (rows, vectors, files) in one transaction; returns those that were still there. */
    public remove(ids: readonly number[]): CacheEntry[] {
        const removed = this.makingRoom(ids, () => this.db.transaction(() => ids.map((id) => this.removeRow(id)).filter(isEntry))());
        this.removalsCommitted(removed);
        return removed;
    }

    /**
     * Removes the entries `choose` picks, chosen inside the removal's transaction (so that the removals act on the
     * state they were chosen by); returns the removed entries.
     */
    public removeChosen(choose: () => number[]): CacheEntry[] {
        const removed = this.db.transaction(() =>
            choose()
                .map((id) => this.removeRow(id))
                .filter(isEntry)
        )();
        this.removalsCommitted(removed);
        return removed;
    }

    /** Deletes the entries `where` selects so that their text is in neither the index nor its log (a purge, a clear). */
    public erase(where: string, ...params: unknown[]): CacheEntry[] {
        const select = this.stmt(`SELECT id FROM entries ${where}`).pluck();
        const removed = this.makingRoom(
            () => select.all(...params) as number[],
            () =>
                this.db.transaction(() => {
                    const ids = select.all(...params) as number[];
                    return ids.map((id) => this.removeRow(id)).filter((entry): entry is CacheEntry => entry !== undefined);
                })()
        );
        this.removalsCommitted(removed);
        // secure_delete overwrote the rows' pages, but the write-ahead log still holds their earlier versions
        // until a checkpoint: fold it in and empty it. A reader holding the log open only delays that.
        if (removed.length > 0) reclaimSpace(this.db);
        return removed;
    }

    /** See {@link CacheStore.consistencyPass}. */
    public consistencyPass(options: {graceMs?: number; rowGraceMs?: number} = {}): ConsistencyReport {
        const graceMs = options.graceMs ?? 60_000;
        const rows = this.stmt("SELECT id, snapshot_file, created_at FROM entries").all() as Array<{id: number; snapshot_file: string; created_at: number}>;
        // With `rowGraceMs`, a fresh row may be an in-flight donor (indexed from memory while its file is
        // written) of another store open on the same index, during a model switch: only older rows count.
        const rowCutoff = this.now() - (options.rowGraceMs ?? 0);
        const missing = rows.filter((r) => r.created_at <= rowCutoff && !fs.existsSync(snapshotAbsolutePath(this.cacheDir, r.snapshot_file)));
        const removedEntries = this.db.transaction(() => missing.map((r) => this.removeRow(r.id)).filter((e): e is CacheEntry => e !== undefined))();
        this.mirror.removalsCommitted(removedEntries);

        // File mtimes are wall-clock, whatever the injected clock.
        const deletedFiles = deleteUnreferencedSnapshots(this.cacheDir, new Set(rows.map((r) => r.snapshot_file)), Date.now() - graceMs, this.warn);
        return {removedEntries, deletedFiles};
    }

    private entry(id: number): CacheEntry | undefined {
        return readEntry(this.stmt, id);
    }

    /** Row + vector removal (inside the caller's transaction); the in-memory index and the file are the caller's job. */
    private removeRow(id: number): CacheEntry | undefined {
        const entry = this.entry(id);
        if (entry === undefined) return undefined;
        this.stmt(`DELETE FROM ${VEC_TABLE} WHERE rowid = ?`).run(BigInt(id));
        this.stmt("DELETE FROM entries WHERE id = ?").run(id);
        this.mirror.rowRemoved(entry.modelFingerprint);
        return entry;
    }

    /**
     * Runs a removal; on a full disk, where SQLite cannot write the deletion to its log, the files of the entries it
     * removes are deleted first to make room, and it runs again: a cache that filled the disk can still be cleared.
     * A row left without its file, should that fail too, is dropped by the lookup that meets it or the next start.
     */
    private makingRoom<T>(ids: readonly number[] | (() => readonly number[]), removal: () => T): T {
        try {
            return removal();
        } catch (error) {
            if (!isDiskFull(error)) throw error;
            for (const id of typeof ids === "function" ? ids() : ids) {
                const entry = this.entry(id);
                if (entry !== undefined) unlinkQuiet(snapshotAbsolutePath(this.cacheDir, entry.snapshotFile), this.warn);
            }
            return removal();
        }
    }

    /** Removed rows committed: their vectors leave the search and their files are deleted. */
    private removalsCommitted(removed: readonly CacheEntry[]): void {
        this.mirror.removalsCommitted(removed);
        // Files after the commit: a crash in between leaves orphan files, which the next
        // consistency pass deletes — never rows pointing at deleted files.
        for (const entry of removed) unlinkQuiet(snapshotAbsolutePath(this.cacheDir, entry.snapshotFile), this.warn);
    }
}
