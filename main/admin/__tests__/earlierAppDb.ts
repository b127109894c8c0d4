/**
 * An app database as an earlier version of the app left it, for the tests of its migrations: each schema step after
 * the first two undone, newest first. A step added to appDb.ts without its undo here fails every such test, by name.
 */
import type Database from "better-sqlite3";
import {APP_DB_VERSION} from "../appDb.js";

/** Undoes schema step `n` (the migration that set `user_version` to n). */
const undoStep: Readonly<Record<number, string>> = {
    3: "ALTER TABLE request_log DROP COLUMN recompute_policy",
    4: "ALTER TABLE quality_checks DROP COLUMN recompute_policy",
    5: "ALTER TABLE messages DROP COLUMN alternatives; ALTER TABLE messages DROP COLUMN alternative_index",
    6: "ALTER TABLE conversations DROP COLUMN pinned",
    7: "DROP INDEX conversations_by_activity; ALTER TABLE conversations DROP COLUMN last_active_at; CREATE INDEX conversations_by_update ON conversations(updated_at DESC)",
    8: "ALTER TABLE conversations DROP COLUMN deleted_message_ids"
};

/** Takes a database opened at the current schema back to schema step `step` (2 or later). */
export function asOfSchemaStep(db: Database.Database, step: number): void {
    for (let n = APP_DB_VERSION; n > step; n--) {
        const undo = undoStep[n];
        if (undo === undefined) throw new Error(`earlierAppDb.ts does not know how to undo schema step ${n}: add it beside the migration`);
        db.exec(undo);
    }
    db.pragma(`user_version = ${step}`);
}
