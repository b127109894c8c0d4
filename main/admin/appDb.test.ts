/**
 * The app database on real files: a damaged page in the middle of it (the messages table) is found when
 * it opens, and the file set aside for a new one, instead of failing every chat read and save for good.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {APP_DB_FILE, APP_DB_VERSION, AppDb, openAppDb} from "./appDb.js";
import {listConversations, saveConversation} from "./conversationsService.js";
import {damageRootPage} from "../common/__tests__/damagePage.js";
import {asOfSchemaStep} from "./__tests__/earlierAppDb.js";

describe("AppDb", () => {
    let dir: string;
    let warnings: string[];
    let appDb: AppDb;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-appdb-"));
        warnings = [];
        appDb = new AppDb(dir, (message) => warnings.push(message));
    });
    afterEach(() => {
        appDb.close();
        fs.rmSync(dir, {recursive: true, force: true});
    });

    /** A chat long enough that its messages fill several pages (the root page is then an interior one). */
    const saveChat = (db: Database.Database): void => {
        db.prepare("INSERT INTO conversations (id, profile, title, created_at, updated_at) VALUES ('c1', 'default', 'a chat', 1, 1)").run();
        const insert = db.prepare("INSERT INTO messages (conversation_id, id, position, role, content, created_at) VALUES ('c1', ?, ?, 'user', ?, 1)");
        for (let i = 0; i < 40; i++) insert.run(`m${i}`, i, `message ${i} `.repeat(60));
    };

    it("sets a file with a damaged messages page aside at open and starts a new one", () => {
        saveChat(appDb.get());
        appDb.close();
        const file = path.join(dir, APP_DB_FILE);
        damageRootPage(file, "messages");
        // The damage is real: the file opens, and every read of the chat's messages fails.
        const raw = new Database(file);
        expect(() => raw.prepare("SELECT content FROM messages WHERE conversation_id = 'c1'").all()).toThrow(/malformed/);
        raw.close();

        const db = appDb.get();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(
            /app\.db is damaged \(quick check: .*\): kept as .*app\.db\.damaged-.*, and a new one started; chats, profiles and request history start empty\./
        );
        const kept = fs.readdirSync(dir).filter((name) => name.startsWith(`${APP_DB_FILE}.damaged-`) && !name.endsWith("-wal") && !name.endsWith("-shm"));
        expect(kept).toHaveLength(1);
        // The damaged file is kept as it was, for whoever wants its chats back.
        expect(fs.readFileSync(path.join(dir, kept[0]!)).subarray(0, 16).toString()).toBe("SQLite format 3\0");
        expect(db.prepare("SELECT COUNT(*) FROM messages").pluck().get()).toBe(0);
        saveChat(db);
        expect(db.prepare("SELECT COUNT(*) FROM messages").pluck().get()).toBe(40);
    });

    it("opens a database from before message versions: its chats read as before, and versions can be saved", () => {
        const file = path.join(dir, APP_DB_FILE);
        const old = openAppDb(file);
        // The step before versions: no columns for them (nor for the pins and last activity that came after them).
        asOfSchemaStep(old, 4);
        saveChat(old);
        old.close();

        const [chat] = listConversations(appDb);
        expect(appDb.get().pragma("user_version", {simple: true})).toBe(APP_DB_VERSION);
        expect(chat!.messages).toHaveLength(40);
        expect(chat!.messages.some((m) => "alternatives" in m || "alternativeIndex" in m)).toBe(false);
        // (The old rows' times are not ones a save takes: given real ones.)
        const at = 1_750_000_000_000;
        const [first, ...rest] = chat!.messages.map((m) => ({...m, createdAt: at}));
        const edited = {...first!, id: "m0b", content: "edited", alternatives: [[first!, ...rest]], alternativeIndex: 1};
        const saved = {...chat!, createdAt: at, updatedAt: at + 1, messages: [edited]};
        expect(saveConversation(appDb, {...saved, baseUpdatedAt: 1}).conflict).toBeUndefined();
        expect(listConversations(appDb)[0]!.messages).toEqual([edited]);
        expect(warnings).toEqual([]);
    });

    it("opens a database from before chats were listed by last activity: each gets its last message's time, versions included", () => {
        const file = path.join(dir, APP_DB_FILE);
        const old = openAppDb(file);
        asOfSchemaStep(old, 6);
        const chat = old.prepare("INSERT INTO conversations (id, profile, title, created_at, updated_at) VALUES (?, 'default', ?, ?, ?)");
        const message = old.prepare(
            "INSERT INTO messages (conversation_id, id, position, role, content, created_at, alternatives) VALUES (?, ?, 0, 'user', 'q', ?, ?)"
        );
        // renamed today (the latest sync version), last written in long ago
        chat.run("renamed", "renamed", 1_000, 9_000);
        message.run("renamed", "m", 2_000, null);
        // its shown message is old, a version not shown is the newest activity of all
        chat.run("edited", "edited", 1_000, 5_000);
        message.run("edited", "m", 1_500, JSON.stringify([[{id: "v", role: "user", content: "q2", createdAt: 4_000}]]));
        chat.run("recent", "recent", 1_000, 3_500);
        message.run("recent", "m", 3_000, null);
        // no message: when it was made; a damaged versions column counts as no versions
        chat.run("empty", "empty", 2_500, 2_500);
        chat.run("damaged", "damaged", 1_000, 8_000);
        message.run("damaged", "m", 2_200, "{not json");
        // versions of another shape (no time, not messages at all): the shown messages count
        chat.run("foreign", "foreign", 1_000, 8_000);
        message.run("foreign", "m", 2_100, JSON.stringify([[{id: "v", role: "user", content: "q2"}]]));
        chat.run("nulls", "nulls", 1_000, 8_000);
        message.run("nulls", "m", 2_050, "[[null], 5]");
        old.close();

        // The database opens whatever the versions hold (no save writes such JSON; a listing of it would fail).
        const filled = appDb.get().prepare("SELECT last_active_at FROM conversations WHERE id = 'nulls'").pluck().get();
        expect(filled).toBe(2_050);
        appDb.get().prepare("DELETE FROM conversations WHERE id = 'nulls'").run();
        expect(listConversations(appDb).map((c) => c.id)).toEqual(["edited", "recent", "empty", "damaged", "foreign", "renamed"]);
        expect(appDb.get().pragma("user_version", {simple: true})).toBe(APP_DB_VERSION);
        expect(appDb.get().prepare("SELECT COUNT(*) FROM conversations WHERE last_active_at IS NULL").pluck().get()).toBe(0);
        expect(warnings).toEqual([]);
    });

    it("opens a sound file as it is, without a warning", () => {
        saveChat(appDb.get());
        appDb.close();
        expect(appDb.get().prepare("SELECT COUNT(*) FROM messages").pluck().get()).toBe(40);
        expect(warnings).toEqual([]);
        expect(fs.readdirSync(dir).filter((name) => name.includes(".damaged"))).toEqual([]);
    });
});
