import type Database from "better-sqlite3";

/**
 * Folds a database's write-ahead log into it and empties it, so deleted rows' pages (with `secure_delete`,
 * overwritten in the database) leave the log too. A reader holding the log makes it a partial checkpoint,
 * and a failing one (a full disk) changes nothing: the next automatic checkpoint finishes the job, and
 * the deletion itself has happened either way. Returns whether the log was emptied.
 */
export function truncateLog(db: Database.Database): boolean {
    try {
        const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as Array<{busy: number}>;
        return result?.busy === 0;
    } catch {
        return false;
    }
}
