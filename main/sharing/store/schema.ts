/**
 * Schema of the cache database and its migrations, versioned by `PRAGMA user_version`.
 *
 * The relational part (meta + entries) is migrated here. The sqlite-vec table is created, kept or
 * rebuilt on every open by `vectorIndex.ts` (its dimension depends on the configured embedder); a
 * change of its layout is a migration here all the same, so that an older app refuses the file
 * instead of misreading it.
 */
import type Database from "better-sqlite3";
import {upgradeFloatIndex} from "./vectorIndex.js";

/** Ordered migrations; `user_version` = number applied. Append only — never edit a shipped one. */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
    // 1: initial schema.
    (db) => {
        db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      -- AUTOINCREMENT: ids are never reused, so an in-memory KV keyed by an evicted id can never
      -- be mistaken for a newer entry.
      CREATE TABLE entries (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        model_fingerprint TEXT    NOT NULL,
        scope             TEXT    NOT NULL,
        prompt_text       TEXT    NOT NULL,
        tokens            BLOB    NOT NULL,           -- int32 little-endian token ids
        token_count       INTEGER NOT NULL,
        token_hash        TEXT    NOT NULL,           -- sha256 hex of the tokens blob
        snapshot_file     TEXT    NOT NULL UNIQUE,    -- relative to the cache dir, '/' separators
        bytes             INTEGER NOT NULL CHECK (bytes >= 0),
        created_at        INTEGER NOT NULL,           -- ms since epoch
        last_used_at      INTEGER NOT NULL,
        hit_count         INTEGER NOT NULL DEFAULT 0,
        embedder_id       TEXT                        -- NULL: no vector in the current index
      ) STRICT;

      CREATE INDEX entries_exact ON entries (model_fingerprint, token_hash);
      CREATE INDEX entries_last_used ON entries (last_used_at);
    `);
    },
    // 2: the vector index searches sign bits and re-scores with the vectors (see vectorIndex.ts).
    upgradeFloatIndex,
    // 3: who sent each prompt (the request's user: a profile, an issued key's key/<id>), so that revoking a
    // key can delete what it sent wherever the scope policy put it (the global scope shares everyone's).
    // NULL for prompts stored before.
    (db) => {
        db.exec(`
      ALTER TABLE entries ADD COLUMN owner TEXT;
      CREATE INDEX entries_owner ON entries (owner);
    `);
    },
    // 4: sizes beside last use and scope, so that the cache's total, a scope's and the eviction order are read from
    // an index alone: a sum over the table read every prompt's text (17 ms at 15,000 entries, for every prompt stored).
    (db) => {
        db.exec(`
      DROP INDEX IF EXISTS entries_last_used;
      CREATE INDEX entries_last_used_bytes ON entries (last_used_at, bytes);
      CREATE INDEX entries_scope_bytes ON entries (scope, bytes);
    `);
    }
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring `db` to {@link SCHEMA_VERSION}, each migration in its own transaction. Refuses a database
 * written by a newer version (downgrading would silently drop what it does not know). */
export function migrate(db: Database.Database): void {
    const current = db.pragma("user_version", {simple: true}) as number;
    if (current > SCHEMA_VERSION) throw new Error(`cache database schema version ${current} is newer than this app's (${SCHEMA_VERSION})`);
    for (let v = current; v < SCHEMA_VERSION; v++) {
        db.transaction(() => {
            (MIGRATIONS[v] as (db: Database.Database) => void)(db);
            db.pragma(`user_version = ${v + 1}`);
        })();
    }
}
