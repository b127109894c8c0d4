import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, beforeEach, describe, expect, it} from "vitest";
import {KeyStore, type KeysWriter} from "./apiKeys.js";
import {silentLogger} from "../common/log.js";
import {removeStaleTempFiles, writeFileAtomic, writeFileAtomically} from "./writeFileAtomic.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-disk-"));
const tempFiles = (dir: string) => fs.readdirSync(dir).filter((name) => /\.tmp|\.tmp-/.test(name));

/**
 * A real full disk: a 1 MiB tmpfs, filled up. Mounting needs root on Linux (CI runs as root); elsewhere
 * these tests are skipped and the injected writer below still covers the key store.
 */
function mountTmpfs(): string | undefined {
    if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
    const dir = tmp();
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (mounted.status === 0) return dir;
    fs.rmSync(dir, {recursive: true, force: true});
    return undefined;
}

const disk = mountTmpfs();
const filler = () => path.join(disk!, "filler");
/** Takes every free block of the tmpfs. */
function fillDisk(): void {
    try {
        fs.writeFileSync(filler(), Buffer.alloc(4 * 1024 * 1024));
    } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
}
const freeDisk = () => fs.rmSync(filler(), {force: true});

describe.runIf(disk != null)("on a full disk (a 1 MiB tmpfs)", () => {
    let dir: string;
    beforeAll(() => {
        dir = path.join(disk!, "data");
        fs.mkdirSync(dir);
    });
    beforeEach(freeDisk);
    afterAll(() => {
        spawnSync("umount", [disk!]);
        fs.rmSync(disk!, {recursive: true, force: true});
    });

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
