/**
 * Setting a damaged database aside, on real SQLite files: one marked damaged while it was open, and what a
 * failed read says about its file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {markDamaged, openSettingDamagedAside, readFailureKind} from "./damagedDatabase.js";
import {damageRootPage} from "./__tests__/damagePage.js";

describe("damaged databases", () => {
    let dir: string;
    let file: string;
    let warnings: string[];
    const open = (): Database.Database =>
        openSettingDamagedAside(
            file,
            () => new Database(file),
            (message) => warnings.push(message),
            "it starts empty"
        );
    const keptAside = () => fs.readdirSync(dir).filter((name) => name.startsWith("test.db.damaged-"));

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-damaged-"));
        file = path.join(dir, "test.db");
        warnings = [];
        const db = new Database(file);
        db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('kept');");
        db.close();
    });
    afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

    it("sets a file marked damaged while open aside at its next open, once", () => {
        markDamaged(file, "could not open vectors blob for chunk 1 (found while serving)");
        const fresh = open();
        expect(fresh.prepare("SELECT name FROM sqlite_master").all()).toEqual([]);
        fresh.close();
        expect(warnings).toEqual([
            `${file} is damaged (could not open vectors blob for chunk 1 (found while serving)): kept as ${path.join(dir, keptAside()[0]!)}, and a new one started; it starts empty.`
        ]);
        expect(fs.existsSync(`${file}.damaged`)).toBe(false);
        // The next open finds the new file as it was left.
        open().close();
        expect(warnings).toHaveLength(1);
        expect(keptAside()).toHaveLength(1);
    });

    it("drops a marker whose database is gone, so it cannot set a later sound file aside", () => {
        markDamaged(file, "damaged");
        fs.rmSync(file);
        open().close();
        expect(fs.existsSync(`${file}.damaged`)).toBe(false);
        open().close();
        expect(warnings).toEqual([]);
        expect(keptAside()).toEqual([]);
    });

    it("tells damage from a passing failure, on real SQLite errors", () => {
        const failure = (run: () => unknown): unknown => {
            try {
                run();
            } catch (error) {
                return error;
            }
            throw new Error("expected a failure");
        };
        // Another connection holding the write lock: the file is sound.
        const writer = new Database(file);
        const waiting = new Database(file, {timeout: 0});
        writer.exec("BEGIN IMMEDIATE");
        expect(readFailureKind(failure(() => waiting.exec("BEGIN IMMEDIATE")))).toBe("passing");
        writer.exec("ROLLBACK");
        writer.close();
        waiting.close();
        // A damaged page of the table read.
        damageRootPage(file, "notes");
        const reader = new Database(file);
        expect(readFailureKind(failure(() => reader.prepare("SELECT text FROM notes").all()))).toBe("damaged");
        reader.close();
        expect(readFailureKind(new RangeError("not SQLite's"))).toBeUndefined();
        // A mistake in a query is SQLite's plain error too, but says nothing about the file.
        const sound = new Database(":memory:");
        expect(readFailureKind(failure(() => sound.prepare("SELECT nothing FROM nowhere").all()))).toBe("passing");
        sound.close();
    });
});
