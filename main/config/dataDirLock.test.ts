import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {DataDirLockedError, lockDataDir, lockFileName} from "./dataDirLock.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-lock-"));
const lockOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, lockFileName), "utf8")) as {pid: number; host: string};
/** A lock file as another process would have left it. */
const writeLock = (dir: string, record: Record<string, unknown>) =>
    fs.writeFileSync(path.join(dir, lockFileName), JSON.stringify({host: os.hostname(), startedAt: new Date().toISOString(), nonce: "other", ...record}));

/** A real process that is still running, for locks "held" by another process. */
const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], {stdio: "ignore"});
afterAll(() => void sleeper.kill("SIGKILL"));

describe("data folder lock", () => {
    it("is created owner-only with this process's pid, refused a second time, and removed on release", () => {
        const dir = tmp();
        const lock = lockDataDir(dir);
        const file = path.join(dir, lockFileName);
        expect(lockOf(dir)).toMatchObject({pid: process.pid, host: os.hostname()});
        if (process.platform !== "win32") expect(fs.statSync(file).mode & 0o077).toBe(0);
        expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
        lock.release();
        expect(fs.existsSync(file)).toBe(false);
        lock.release();
        // Nothing but the lock was left behind (no temporary file).
        expect(fs.readdirSync(dir)).toEqual([]);
        lockDataDir(dir).release();
    });

    it("creates a data folder that does not exist yet", () => {
        const dir = path.join(tmp(), "new", "data");
        const lock = lockDataDir(dir);
        expect(lockOf(dir).pid).toBe(process.pid);
        lock.release();
    });

    it("refuses a folder another running process holds, naming the folder and the process", () => {
        const dir = tmp();
        writeLock(dir, {pid: sleeper.pid});
        let refused: unknown;
        try {
            lockDataDir(dir);
        } catch (error) {
            refused = error;
        }
        expect(refused).toBeInstanceOf(DataDirLockedError);
        expect((refused as DataDirLockedError).pid).toBe(sleeper.pid);
        expect((refused as Error).message).toBe(`another KVShare server (pid ${sleeper.pid}) is using ${dir}; stop it or use --data-dir`);
        expect(lockOf(dir).pid).toBe(sleeper.pid);
    });

    it("refuses one held from another machine (a shared folder), saying how to clear it", () => {
        const dir = tmp();
        writeLock(dir, {pid: 4242, host: "other-machine.example"});
        expect(() => lockDataDir(dir)).toThrow(
            `another KVShare server (pid 4242 on other-machine.example) is using ${dir}; stop it or use --data-dir (if it no longer runs, delete ${path.join(dir, lockFileName)})`
        );
    });

    it("takes over a lock whose process is gone, or that cannot be read", () => {
        const dir = tmp();
        const exited = spawnSync(process.execPath, ["-e", "0"]);
        expect(exited.status).toBe(0);
        writeLock(dir, {pid: exited.pid});
        const lock = lockDataDir(dir);
        expect(lockOf(dir).pid).toBe(process.pid);
        lock.release();

        // Cut short long ago (no process can be named): stale.
        fs.writeFileSync(path.join(dir, lockFileName), '{"pid":');
        const old = new Date(Date.now() - 60_000);
        fs.utimesSync(path.join(dir, lockFileName), old, old);
        lockDataDir(dir).release();
        expect(fs.readdirSync(dir)).toEqual([]);
    });

    it.runIf(fs.existsSync("/proc/self/stat"))("takes over a lock whose pid now belongs to another process (a reused pid)", () => {
        const dir = tmp();
        writeLock(dir, {pid: sleeper.pid, processStart: "1"});
        const lock = lockDataDir(dir);
        expect(lockOf(dir).pid).toBe(process.pid);
        lock.release();
    });

    it("release leaves alone a lock that is no longer this one", () => {
        const dir = tmp();
        const lock = lockDataDir(dir);
        writeLock(dir, {pid: sleeper.pid});
        lock.release();
        expect(lockOf(dir).pid).toBe(sleeper.pid);
    });
});
