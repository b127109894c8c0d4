import type Database from "better-sqlite3";
import {truncateLog} from "../../common/truncateLog.js";

/**
 * The write-ahead log's size once a checkpoint has emptied it: a big eviction's log (tens of MB) shrinks back
 * to this instead of keeping its high-water mark on disk while the app runs.
 */
const LOG_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** Free pages below which giving them back to the file system is not worth a pass (1 MiB of 4 KiB pages). */
const MIN_FREE_PAGES = 256;

/**
 * Sets up a cache database so that deleted rows give their space back: the log is bounded once emptied, and
 * freed pages can be returned to the file system (`auto_vacuum = INCREMENTAL`). A new database takes the mode
 * at once; one made before (no auto-vacuum) is rebuilt once (`VACUUM`) when a quarter of it is free pages,
 * the case where it matters, and the mode then holds. Before the schema is created or migrated, and before
 * the log mode is set (a new database takes auto-vacuum only while it has no page).
 */
export function prepareSpaceReclaim(db: Database.Database): void {
    db.pragma(`journal_size_limit = ${LOG_SIZE_LIMIT_BYTES}`);
    if ((db.pragma("auto_vacuum", {simple: true}) as number) === 2) return;
    db.pragma("auto_vacuum = INCREMENTAL");
    const pages = db.pragma("page_count", {simple: true}) as number;
    const free = db.pragma("freelist_count", {simple: true}) as number;
    if (pages <= 1 || free < MIN_FREE_PAGES || free * 4 < pages) return;
    try {
        db.exec("VACUUM");
        // In WAL mode the rebuilt file is in the log: fold it in, and the file shrinks.
        truncateLog(db);
    } catch {
        // Busy (another connection writing) or a full disk: the next open tries again. (A reader does not stop it; it
        // only keeps the log from being emptied until it is done.)
    }
}

/**
 * After rows were deleted (an eviction, a purge): empties the log (its copies of the deleted pages go too) and
 * gives the free pages back to the file system, so the cache's disk use follows what it holds. Where a reader
 * holds the log, or the database is not in incremental mode yet, less is given back; nothing fails.
 */
export function reclaimSpace(db: Database.Database): void {
    truncateLog(db);
    try {
        if ((db.pragma("freelist_count", {simple: true}) as number) >= MIN_FREE_PAGES) db.pragma("incremental_vacuum");
    } catch {
        // A busy or read-only database keeps its free pages: they are reused by the next inserts.
    }
    truncateLog(db);
}
