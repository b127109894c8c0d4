import path from "node:path";
import {checkDatabaseIntact, openSettingDamagedAside} from "../common/damagedDatabase.js";
import {touchOwnerOnly} from "../config/ownerOnly.js";
import Database from "better-sqlite3";
import {lastActiveAt, type MessageTimes} from "../../shared/chatActivity.js";
import type {AppDatabase} from "./ports.js";

/** The app's own database (conversations, messages, profiles, request history), beside settings.json. */
export const APP_DB_FILE = "app.db";

/** Schema steps; `user_version` is the number of steps applied. Append only. */
const migrations: readonly string[] = [
    `CREATE TABLE profiles (
        name TEXT PRIMARY KEY,
        grp TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        profile TEXT NOT NULL,
        title TEXT NOT NULL,
        system_prompt TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX conversations_by_update ON conversations(updated_at DESC);
    CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        stats TEXT,
        hit TEXT,
        error TEXT,
        PRIMARY KEY (conversation_id, id)
    );
    CREATE INDEX messages_in_order ON messages(conversation_id, position);`,
    // Served requests (dashboard history, what-if curves) and the quality monitor's checks; both
    // bounded by the history retention. replay_tokens is kept only for requests sampled for a check.
    `CREATE TABLE request_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user TEXT NOT NULL,
        scope TEXT NOT NULL,
        mode TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        reused_tokens INTEGER NOT NULL,
        recomputed_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL,
        ttft_ms REAL NOT NULL,
        queue_ms REAL NOT NULL DEFAULT 0,
        donor_id INTEGER,
        donor_similarity REAL,
        best_similarity REAL,
        reusable_tokens INTEGER NOT NULL DEFAULT 0,
        prefix_floor INTEGER NOT NULL DEFAULT 0,
        threshold REAL,
        budget REAL,
        min_gain INTEGER,
        policy TEXT,
        whatif BLOB,
        stages TEXT,
        replay_tokens BLOB
    );
    CREATE INDEX request_log_by_time ON request_log(at);
    CREATE INDEX request_log_by_scope ON request_log(scope, at);
    CREATE INDEX request_log_replays ON request_log(id) WHERE replay_tokens IS NOT NULL;
    CREATE TABLE quality_checks (
        id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL,
        at INTEGER NOT NULL,
        scope TEXT NOT NULL,
        policy TEXT NOT NULL,
        budget REAL NOT NULL,
        similarity REAL,
        checked_tokens INTEGER NOT NULL,
        matched_tokens INTEGER NOT NULL,
        rouge_l REAL NOT NULL,
        full_ms REAL NOT NULL,
        shared_ms REAL NOT NULL,
        probe INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX quality_checks_by_time ON quality_checks(at);`,
    // The recompute policy a request was served with (a request may name its own): its quality replay uses it.
    `ALTER TABLE request_log ADD COLUMN recompute_policy TEXT;`,
    // …and so is each quality check: the budget curve shows one policy's agreement, not a mix of them.
    `ALTER TABLE quality_checks ADD COLUMN recompute_policy TEXT;`,
    // A message keeps the other versions of the chat from it on (an edited question, a regenerated answer): JSON
    // of the whole continuations, and where the version shown sits among them. Older rows have none.
    `ALTER TABLE messages ADD COLUMN alternatives TEXT;
    ALTER TABLE messages ADD COLUMN alternative_index INTEGER;`,
    // A chat can be pinned to the top of the list (0 or 1).
    `ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
    // Chats are listed and paged by their last message (shared/chatActivity.ts), not by their sync version, which a
    // rename moves too. Filled for older rows as the database opens (fillLastActive).
    `ALTER TABLE conversations ADD COLUMN last_active_at INTEGER;
    CREATE INDEX conversations_by_activity ON conversations(last_active_at DESC, updated_at DESC, id DESC);
    DROP INDEX conversations_by_update;`,
    // Ids of a chat's deleted messages (a JSON list, NULL for none): another browser's older copy of the chat, saved
    // later, must not bring them back.
    `ALTER TABLE conversations ADD COLUMN deleted_message_ids TEXT;`
];

export const APP_DB_VERSION = migrations.length;

/** Opens (creating and migrating) an app database file: WAL, foreign keys on; throws if its pages are damaged. */
export function openAppDb(file: string): Database.Database {
    // Chats are private: owner-only, and SQLite gives its -wal/-shm files the same mode.
    touchOwnerOnly(file);
    const db = new Database(file);
    try {
        db.pragma("journal_mode = WAL");
        // FULL: an acknowledged conversation turn survives a power cut, not only a crash (writes are small).
        db.pragma("synchronous = FULL");
        db.pragma("foreign_keys = ON");
        // A deleted chat's text is overwritten, not left in free pages.
        db.pragma("secure_delete = ON");
        db.pragma("busy_timeout = 5000");
        // A damaged page (in the messages table, say) would fail every read of it from now on: found here,
        // the file is set aside like one that is not a database at all.
        checkDatabaseIntact(db);
        migrate(db);
        fillLastActive(db);
        return db;
    } catch (error) {
        db.close();
        throw error;
    }
}

function migrate(db: Database.Database): void {
    const version = db.pragma("user_version", {simple: true}) as number;
    if (version > migrations.length)
        throw new Error(`${db.name} has schema version ${version}, newer than this app knows (${migrations.length}); update the app.`);
    for (let step = version; step < migrations.length; step++) {
        db.transaction(() => {
            db.exec(migrations[step]!);
            db.pragma(`user_version = ${step + 1}`);
        })();
    }
}

/**
 * Chats saved before the list was ordered by last activity get it from their stored messages, by the one rule the
 * renderer lists them by (every version of every message counts).
 */
function fillLastActive(db: Database.Database): void {
    const chats = db.prepare("SELECT id, created_at FROM conversations WHERE last_active_at IS NULL").all() as Array<{id: string; created_at: number}>;
    if (chats.length === 0) return;
    const messagesOf = db.prepare("SELECT created_at, alternatives FROM messages WHERE conversation_id = ?");
    const fill = db.prepare("UPDATE conversations SET last_active_at = ? WHERE id = ?");
    db.transaction(() => {
        for (const chat of chats) {
            const rows = messagesOf.all(chat.id) as Array<{created_at: number; alternatives: string | null}>;
            fill.run(storedLastActive(chat.created_at, rows), chat.id);
        }
    })();
}

/**
 * A stored chat's last activity. Versions are read as far as they can be: a damaged or foreign value there costs
 * only their times (the chat then counts its shown messages), never the database's opening.
 */
function storedLastActive(createdAt: number, rows: ReadonlyArray<{created_at: number; alternatives: string | null}>): number {
    try {
        const messages = rows.map((m) => ({
            createdAt: m.created_at,
            ...(m.alternatives == null ? {} : {alternatives: JSON.parse(m.alternatives) as MessageTimes[][]})
        }));
        const all = lastActiveAt({createdAt, messages});
        if (Number.isFinite(all)) return all;
    } catch {
        // read below without the versions
    }
    return lastActiveAt({createdAt, messages: rows.map((m) => ({createdAt: m.created_at}))});
}

/** The app database in a data folder, opened (created, migrated) on first use and closed with the app. */
export class AppDb implements AppDatabase {
    private db: Database.Database | undefined;

    /** @param warn where a damaged database file, set aside for a new one, is reported */
    public constructor(
        private readonly dataDir: string,
        private readonly warn: (message: string) => void = () => undefined
    ) {}

    public get(): Database.Database {
        if (this.db == null || !this.db.open) {
            const file = path.join(this.dataDir, APP_DB_FILE);
            this.db = openSettingDamagedAside(file, () => openAppDb(file), this.warn, "chats, profiles and request history start empty");
        }
        return this.db;
    }

    /** Closes the database if it is open (tests, shutdown); a later {@link get} opens it again. */
    public close(): void {
        this.db?.close();
        this.db = undefined;
    }
}
