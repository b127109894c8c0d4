/**
 * Damages a real SQLite file the way a bad disk sector does (not a test file itself): a table's root page
 * overwritten in place, so the file still opens and only reads reaching that table fail.
 */
import fs from "node:fs";
import Database from "better-sqlite3";

/**
 * Overwrites the first 64 bytes of `table`'s root page in `file` with 0xff (SQLite then reports
 * `btreeInitPage() returns error code 11` for it); returns the page number. The page must be in the file
 * itself, not only in its write-ahead log: close (or checkpoint) the database first.
 */
export function damageRootPage(file: string, table: string): number {
    const db = new Database(file, {readonly: true});
    let page: number;
    let pageSize: number;
    try {
        const row = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").get(table) as {rootpage: number} | undefined;
        if (row === undefined) throw new Error(`${file} has no table ${table}`);
        page = row.rootpage;
        pageSize = db.pragma("page_size", {simple: true}) as number;
    } finally {
        db.close();
    }
    const fd = fs.openSync(file, "r+");
    try {
        fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (page - 1) * pageSize);
    } finally {
        fs.closeSync(fd);
    }
    return page;
}
