/**
 * A SQLite file that is not (or no longer) a database: overwritten, cut short, damaged on disk. Such a file
 * is set aside (renamed, never deleted: it may hold what someone wants back) and a new database started in
 * its place, so the server starts and says what happened, instead of failing every request that needs it.
 */
import fs from "node:fs";

/** Whether `error` is SQLite saying the file is not a database, or a damaged one. */
export function isDamagedDatabase(error: unknown): boolean {
    const code = (error as {code?: unknown} | null)?.code;
    // Extended codes too (SQLITE_CORRUPT_VTAB: a damaged sqlite-vec table, SQLITE_CORRUPT_INDEX, …).
    return typeof code === "string" && (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"));
}

/** Renames `file` (and its -wal / -shm files) to `<file>.damaged-<time>`; returns the new name. */
export function setDamagedDatabaseAside(file: string, now = new Date()): string {
    const aside = `${file}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"]) if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
    return aside;
}

/**
 * Opens a database with `open`; a damaged file is set aside, reported to `warn` with `consequence` (what
 * starting afresh loses), and a new one opened.
 */
export function openSettingDamagedAside<T>(file: string, open: () => T, warn: (message: string) => void, consequence: string): T {
    try {
        return open();
    } catch (error) {
        if (!isDamagedDatabase(error)) throw error;
        const aside = setDamagedDatabaseAside(file);
        warn(`${file} is damaged (${(error as Error).message}): kept as ${aside}, and a new one started; ${consequence}.`);
        return open();
    }
}
