/**
 * A SQLite file that is not (or no longer) a database: overwritten, cut short, damaged on disk. Such a file
 * is set aside (renamed, never deleted: it may hold what someone wants back) and a new database started in
 * its place, so the server starts and says what happened, instead of failing every request that needs it.
 *
 * Damage is found three ways: opening fails (a damaged header), the quick check at open finds a damaged
 * page (a file that opens may still fail every read of one table), or a read fails while the server runs
 * and the file is marked, to be set aside at its next open (see {@link markDamaged}).
 */
import fs from "node:fs";
import type Database from "better-sqlite3";

/** SQLite's result code of a failure (better-sqlite3 puts it on the error), if it is one. */
function sqliteCode(error: unknown): string | undefined {
    const code = (error as {code?: unknown} | null)?.code;
    return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** Whether `error` is SQLite saying the file is not a database, or a damaged one. */
export function isDamagedDatabase(error: unknown): boolean {
    const code = sqliteCode(error);
    // Extended codes too (SQLITE_CORRUPT_VTAB: a damaged sqlite-vec table, SQLITE_CORRUPT_INDEX, …).
    return code !== undefined && (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"));
}

/**
 * What a failed read of an open database says about its file: `damaged` (SQLite's corruption codes, and
 * the plain SQLITE_ERROR an extension such as sqlite-vec reports a damaged page with: "could not open vectors
 * blob for chunk 1"), `passing` (a lock, a full disk, an I/O or memory failure, any other error: the file may be
 * sound, and a mistake in a query must not have the whole index set aside), or undefined when it is no SQLite
 * failure.
 */
export function readFailureKind(error: unknown): "damaged" | "passing" | undefined {
    const code = sqliteCode(error);
    if (code === undefined) return undefined;
    const damagedPage = code === "SQLITE_ERROR" && /\b(blob|chunk|malformed|corrupt)/i.test((error as Error).message);
    return isDamagedDatabase(error) || damagedPage ? "damaged" : "passing";
}

/** Thrown by {@link checkDatabaseIntact}; its code makes it a damaged database to {@link isDamagedDatabase}. */
class DamagedPagesError extends Error {
    public readonly code = "SQLITE_CORRUPT";
}

/**
 * Throws a damaged-database error unless SQLite's quick check finds every page of every table and index
 * sound. Run at open: a damaged page in the middle of a file does not stop it opening, only every read
 * that reaches the page, for good. It reads the whole file once: about 20 ms for a cache index of 5,000
 * prompts (24 MB), 70–100 ms at 100 MB, measured on the 2-core dev machine with the file in the OS's cache.
 */
export function checkDatabaseIntact(db: Database.Database): void {
    // One problem is enough to know; the first line of the report names the database, not the problem.
    const report = String(db.pragma("quick_check(1)", {simple: true}));
    if (report === "ok") return;
    const problem = report.split("\n").find((line) => line.trim() !== "" && !line.startsWith("***")) ?? report;
    throw new DamagedPagesError(`quick check: ${problem.trim()}`);
}

/** The file that says a database was found damaged while open (its content says how). */
function markerOf(file: string): string {
    return `${file}.damaged`;
}

/**
 * Records that `file` was found damaged while open, so that its next open (next start, next model) sets it
 * aside even where the quick check cannot see the damage (an extension's own tables disagreeing). A marker
 * that cannot be written (a read-only folder) leaves the quick check as the only net.
 */
export function markDamaged(file: string, reason: string): void {
    try {
        fs.writeFileSync(markerOf(file), reason, {mode: 0o600});
    } catch {
        // See above.
    }
}

/** Why `file` was marked damaged, if it was (a marker without its database is stale, and removed). */
function damageMarked(file: string): string | undefined {
    let reason: string;
    try {
        reason = fs.readFileSync(markerOf(file), "utf8");
    } catch {
        return undefined;
    }
    if (fs.existsSync(file)) return reason.trim() || "marked damaged";
    fs.rmSync(markerOf(file), {force: true});
    return undefined;
}

/** Renames `file` (and its -wal / -shm files) to `<file>.damaged-<time>`; returns the new name. */
export function setDamagedDatabaseAside(file: string, now = new Date()): string {
    const aside = `${file}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"]) if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
    fs.rmSync(markerOf(file), {force: true});
    return aside;
}

/**
 * Opens a database with `open`, which should {@link checkDatabaseIntact}; a damaged file (or one marked
 * damaged while open before) is set aside, reported to `warn` with `consequence` (what starting afresh
 * loses), and a new one opened.
 */
export function openSettingDamagedAside<T>(file: string, open: () => T, warn: (message: string) => void, consequence: string): T {
    let reason = damageMarked(file);
    if (reason === undefined) {
        try {
            return open();
        } catch (error) {
            if (!isDamagedDatabase(error)) throw error;
            reason = (error as Error).message;
        }
    }
    const aside = setDamagedDatabaseAside(file);
    warn(`${file} is damaged (${reason}): kept as ${aside}, and a new one started; ${consequence}.`);
    return open();
}
