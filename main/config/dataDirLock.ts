import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {mkdirOwnerOnly, ownerOnlyFileMode} from "./ownerOnly.js";

/** The single-instance lock in the data folder: one server (CLI or desktop app) per folder. */
export const lockFileName = "server.lock";

/** What the lock file holds: who holds the folder. */
interface LockRecord {
    pid: number;
    host: string;
    startedAt: string;
    /** Linux: the holder's start time (clock ticks since boot), which tells a pid reused by another process. */
    processStart?: string;
    /** Tells this process's lock from a later one with the same pid (release removes only its own). */
    nonce: string;
}

/** A second server refused on a data folder another one is using. */
export class DataDirLockedError extends Error {
    public constructor(
        public readonly dataDir: string,
        /** The process using the folder. */
        public readonly pid: number,
        message: string
    ) {
        super(message);
        this.name = "DataDirLockedError";
    }
}

/** A held lock on a data folder. */
export interface DataDirLock {
    readonly dataDir: string;
    readonly file: string;
    /** Removes the lock file (only while it is still this lock's); safe to call more than once. */
    release(): void;
}

/** Locks this process holds, by lock file: released at exit, and a second lock in-process is refused. */
const held = new Map<string, DataDirLock>();
let exitHookInstalled = false;

/** How long a lock file without a readable record counts as being written (only where hard links are unsupported). */
const unreadableGraceMs = 10_000;

/**
 * Takes the data folder for this process, or throws {@link DataDirLockedError} naming the process that
 * has it. Two servers on one folder would share its key, database and cache index while each keeps its
 * own settings in memory (a change of sharing scopes on one would not reach the other), so the second is
 * refused before it loads anything. A lock whose process is gone (killed, crashed, machine restarted) is
 * taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
    const file = path.join(dataDir, lockFileName);
    if (held.has(file)) throw new DataDirLockedError(dataDir, process.pid, `this process (pid ${process.pid}) already serves ${dataDir}`);
    if (!fs.existsSync(dataDir)) mkdirOwnerOnly(dataDir);
    const record: LockRecord = {
        pid: process.pid,
        host: os.hostname(),
        startedAt: new Date().toISOString(),
        processStart: processInfo(process.pid)?.start,
        nonce: crypto.randomBytes(8).toString("hex")
    };
    // Each turn either takes the lock, refuses, or removes a stale one; only servers starting at the same
    // moment make it turn again.
    const deadline = Date.now() + unreadableGraceMs + 5_000;
    while (Date.now() < deadline) {
        if (create(file, record)) return hold(dataDir, file, record.nonce);
        const holder = readLock(file);
        if (holder == null) continue;
        if (holder.record == null) {
            // Only a lock being created with the O_EXCL fallback is ever seen without its record, for a moment.
            if (Date.now() - holder.mtimeMs < unreadableGraceMs) {
                sleep(100);
                continue;
            }
        } else if (holderRunning(holder.record)) {
            const {pid, host} = holder.record;
            throw new DataDirLockedError(
                dataDir,
                pid,
                host === os.hostname()
                    ? `another KVShare server (pid ${pid}) is using ${dataDir}; stop it or use --data-dir`
                    : `another KVShare server (pid ${pid} on ${host}) is using ${dataDir}; stop it or use --data-dir (if it no longer runs, delete ${file})`
            );
        }
        removeStale(file, holder.ino);
    }
    throw new Error(`Could not lock the data folder ${dataDir}: its lock file ${file} keeps changing.`);
}

function hold(dataDir: string, file: string, nonce: string): DataDirLock {
    const lock: DataDirLock = {
        dataDir,
        file,
        release() {
            if (held.get(file) !== lock) return;
            held.delete(file);
            try {
                if (readLock(file)?.record?.nonce === nonce) fs.rmSync(file, {force: true});
            } catch {
                // A lock left behind is taken over at the next start (its process is gone).
            }
        }
    };
    held.set(file, lock);
    if (!exitHookInstalled) {
        exitHookInstalled = true;
        // Every normal exit (process.exit, the end of the event loop, an uncaught error) releases.
        process.on("exit", () => {
            for (const each of [...held.values()]) each.release();
        });
    }
    return lock;
}

/**
 * Creates the lock file holding `record`, atomically: false when one exists. The record is written to a
 * file of its own first and hard-linked to the lock's name (which fails when the name exists, as O_EXCL
 * does), so no other process ever reads a lock without its pid. Where the file system has no hard links
 * (FAT), an O_EXCL create and a write.
 */
function create(file: string, record: LockRecord): boolean {
    const text = JSON.stringify(record) + "\n";
    const tmp = `${file}.${record.pid}.${record.nonce}.tmp`;
    fs.writeFileSync(tmp, text, {mode: ownerOnlyFileMode, flag: "wx"});
    try {
        fs.linkSync(tmp, file);
        return true;
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST") return false;
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    } finally {
        fs.rmSync(tmp, {force: true});
    }
    let fd: number;
    try {
        fd = fs.openSync(file, "wx", ownerOnlyFileMode);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
    }
    try {
        fs.writeFileSync(fd, text);
    } finally {
        fs.closeSync(fd);
    }
    return true;
}

/** The lock file's record (undefined when unreadable) and identity, or undefined when there is none. */
function readLock(file: string): {record?: LockRecord; ino: number; mtimeMs: number} | undefined {
    let fd: number;
    try {
        fd = fs.openSync(file, "r");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
    }
    try {
        const {ino, mtimeMs} = fs.fstatSync(fd);
        let record: LockRecord | undefined;
        try {
            const parsed = JSON.parse(fs.readFileSync(fd, "utf8")) as Partial<LockRecord> | null;
            if (parsed != null && Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0 && typeof parsed.host === "string")
                record = parsed as LockRecord;
        } catch {
            // Unreadable: no holder can be named.
        }
        return {record, ino, mtimeMs};
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Moves a stale lock out of the way. Renamed aside first and checked to be the same file that was judged
 * stale: when two servers start at once after a crash, the slower one must not delete the lock the faster
 * one just made (it puts that one back and finds it held on its next try).
 */
function removeStale(file: string, ino: number): void {
    const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.stale`;
    try {
        fs.renameSync(file, aside);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
    }
    try {
        if (fs.statSync(aside).ino !== ino) fs.linkSync(aside, file);
    } catch {
        // Yet another server took the name meanwhile: that one holds the folder.
    } finally {
        fs.rmSync(aside, {force: true});
    }
}

/** Whether the process that wrote `record` still runs. One on another machine (a shared folder) cannot be checked: it counts as running. */
function holderRunning(record: LockRecord): boolean {
    if (record.host !== os.hostname()) return true;
    // This process holds no lock on the folder (checked first): a previous process had this pid (a restarted container).
    if (record.pid === process.pid) return false;
    try {
        process.kill(record.pid, 0);
    } catch (error) {
        // EPERM: it runs, as another user.
        if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    const info = processInfo(record.pid);
    if (info == null) return true;
    // A zombie (killed, not yet reaped by its parent) answers signal 0 but serves nothing.
    if (info.state === "Z" || info.state === "X") return false;
    return record.processStart == null || info.start === record.processStart;
}

/**
 * Linux: process `pid`'s state and start time (fields 3 and 22 of /proc/PID/stat, which follow the
 * command name in parentheses); undefined elsewhere.
 */
function processInfo(pid: number): {state: string; start: string} | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (fields[0] == null || fields[19] == null) return undefined;
        return {state: fields[0], start: fields[19]};
    } catch {
        return undefined;
    }
}

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
