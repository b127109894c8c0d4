import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import {asarUnpacked} from "../../common/asarUnpacked.js";
import {checkDatabaseIntact} from "../../common/damagedDatabase.js";
import {touchOwnerOnly} from "../../config/ownerOnly.js";
import {registerTextSearch} from "./browseEntries.js";
import {prepareSpaceReclaim} from "./reclaimSpace.js";

/**
 * Opens the cache's index database as the store uses it: owner-only, sqlite-vec loaded, write-ahead log, deleted
 * texts overwritten, space given back; throws a damaged-database error if a page of it is damaged.
 */
export function openCacheDatabase(dbPath: string, busyTimeoutMs = 5000): Database.Database {
    // Every prompt's text is in here: owner-only, and SQLite gives its -wal/-shm files the same mode.
    touchOwnerOnly(dbPath);
    const db = new Database(dbPath);
    try {
        // Packaged, the extension is unpacked beside app.asar: SQLite opens it with the OS's loader.
        db.loadExtension(asarUnpacked(sqliteVec.getLoadablePath()));
        registerTextSearch(db);
        // Before the log mode: a new database takes auto-vacuum only while it has no page yet.
        prepareSpaceReclaim(db);
        db.pragma("journal_mode = WAL");
        // NORMAL is durable across app crashes in WAL mode (only an OS crash can lose the last
        // commits), and a lost cache row only costs a future prefill.
        db.pragma("synchronous = NORMAL");
        db.pragma("foreign_keys = ON");
        // A deleted prompt's text is overwritten, not left in free pages (a purge means gone from the file).
        db.pragma("secure_delete = ON");
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
        // sqlite-vec reports a damaged page of its tables as a plain error, on every search that reaches it:
        // found here, the file is set aside like one that is not a database at all.
        checkDatabaseIntact(db);
        return db;
    } catch (error) {
        db.close();
        throw error;
    }
}
