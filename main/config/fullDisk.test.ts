import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, beforeEach, describe, expect, it} from "vitest";
import {KeyStore, type KeysWriter} from "./apiKeys.js";
import {silentLogger} from "../common/log.js";
import Database from "better-sqlite3";
import {toApiError} from "../server/errors.js";
import {removeStaleTempFiles, writeFileAtomic, writeFileAtomically} from "./writeFileAtomic.js";
import {fillDisk as fillAll, freeDisk as freeAll, mountTmpfs, unmountTmpfs} from "../../test/support/tmpfs.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-disk-"));
const tempFiles = (dir: string) => fs.readdirSync(dir).filter((name) => /\.tmp|\.tmp-/.test(name));

/** A real full disk: a 1 MiB tmpfs, filled up (root only; skipped elsewhere, the injected writer below still covers the key store). */
const disk = mountTmpfs("1m");
const fillDisk = () => fillAll(disk!);
const freeDisk = () => freeAll(disk!);

describe.runIf(disk != null)("on a full disk (a 1 MiB tmpfs)", () => {
    let dir: string;
    beforeAll(() => {
        dir = path.join(disk!, "data");
        fs.mkdirSync(dir);
    });
    beforeEach(freeDisk);
    afterAll(() => unmountTmpfs(disk!));

    it("a failed atomic write leaves the old file and no temporary file", async () => {
        const file = path.join(dir, "settings.json");
        writeFileAtomic(file, "old\n");
        fillDisk();
        expect(() => writeFileAtomic(file, "new ".repeat(10_000))).toThrow(/ENOSPC/);
        await expect(writeFileAtomically(file, [Buffer.alloc(64 * 1024)])).rejects.toThrow(/ENOSPC/);
        expect(tempFiles(dir)).toEqual([]);
        expect(fs.readFileSync(file, "utf8")).toBe("old\n");
        freeDisk();
        writeFileAtomic(file, "new\n");
        expect(fs.readFileSync(file, "utf8")).toBe("new\n");
    });

    it("a snapshot the disk fills up during is refused whole: never a short file under its name", async () => {
        // More than the tmpfs holds: the write takes what fits and reports no error, the next one nothing.
        const file = path.join(dir, "entry.kvsnap");
        await expect(writeFileAtomically(file, [Buffer.alloc(1536 * 1024, 7)])).rejects.toThrow(/ENOSPC/);
        expect(fs.existsSync(file)).toBe(false);
        expect(tempFiles(dir)).toEqual([]);
        await writeFileAtomically(file, [Buffer.alloc(256 * 1024, 7), Buffer.alloc(256 * 1024, 8)]);
        expect(fs.statSync(file).size).toBe(512 * 1024);
        fs.rmSync(file);
    });

    it("a full disk reads over HTTP as 507 disk_full, SQLite's and the file system's alike", () => {
        const db = new Database(path.join(dir, "full.db"));
        db.exec("CREATE TABLE t (x BLOB)");
        fillDisk();
        let sqliteError: unknown;
        try {
            db.prepare("INSERT INTO t VALUES (?)").run(Buffer.alloc(256 * 1024));
        } catch (error) {
            sqliteError = error;
        }
        let fileError: unknown;
        try {
            fs.writeFileSync(path.join(dir, "more"), Buffer.alloc(64 * 1024));
        } catch (error) {
            fileError = error;
        }
        db.close();
        for (const error of [sqliteError, fileError]) {
            const api = toApiError(error);
            expect(api.status).toBe(507);
            expect(api.code).toBe("disk_full");
            expect(api.message).toMatch(/^The disk holding the app's data folder is full \(.*\): free some space there\.$/);
        }
        fs.rmSync(path.join(dir, "more"), {force: true});
        fs.rmSync(path.join(dir, "full.db"), {force: true});
    });

    it("a key that could not be saved is not issued: not listed, its name free, gone after a restart too", () => {
        const store = KeyStore.inDataDir(dir, silentLogger);
        const kept = store.create("kept");
        fillDisk();
        expect(() => store.create("alice")).toThrow(/ENOSPC/);
        expect(store.list().map((key) => key.name)).toEqual(["kept"]);
        // Revoking fails the same way: the key still works, as the file (what a restart reads) says.
        expect(() => store.revoke(kept.entry.id)).toThrow(/ENOSPC/);
        expect(store.find(kept.key)?.name).toBe("kept");
        expect(tempFiles(dir)).toEqual([]);
        freeDisk();
        expect(store.create("alice").entry.name).toBe("alice");
        expect(store.revoke(kept.entry.id)).toBe(true);
        expect(
            KeyStore.inDataDir(dir, silentLogger)
                .list()
                .map((key) => key.name)
        ).toEqual(["alice"]);
    });
});

describe.runIf(fs.existsSync("/dev/full"))("key store whose write fails (writes to /dev/full, which answers ENOSPC)", () => {
    it("keeps its list as the file has it", () => {
        const file = path.join(tmp(), "keys.json");
        let full = false;
        const write: KeysWriter = (target, data, mode) => (full ? fs.writeFileSync("/dev/full", data) : writeFileAtomic(target, data, mode));
        const store = new KeyStore(file, silentLogger, write);
        const bob = store.create("bob");
        full = true;
        expect(() => store.create("alice")).toThrow(/ENOSPC/);
        expect(() => store.revoke(bob.entry.id)).toThrow(/ENOSPC/);
        expect(store.list().map((key) => key.name)).toEqual(["bob"]);
        expect(store.find(bob.key)?.id).toBe(bob.entry.id);
        full = false;
        expect(store.create("alice").entry.name).toBe("alice");
    });
});

describe("start-up clean-up of temporary files", () => {
    it("removes old temporary files of the app's files only, and none still being written", () => {
        const dir = tmp();
        const now = Date.now();
        const old = new Date(now - 120_000);
        const names = {
            oldSettings: `settings.json.123.${now - 120_000}.tmp`,
            oldKeys: "keys.json.9.1700000000000.tmp",
            fresh: `keys.json.456.${now}.tmp`,
            foreign: "notes.txt.1.2.tmp",
            lookalike: "settings.json.backup.tmp"
        };
        for (const name of Object.values(names)) fs.writeFileSync(path.join(dir, name), "x");
        for (const name of [names.oldSettings, names.oldKeys, names.foreign, names.lookalike]) fs.utimesSync(path.join(dir, name), old, old);
        expect(removeStaleTempFiles(dir, ["settings.json", "keys.json", "api-key"]).sort()).toEqual([names.oldKeys, names.oldSettings].sort());
        expect(fs.readdirSync(dir).sort()).toEqual([names.fresh, names.foreign, names.lookalike].sort());
    });
});
