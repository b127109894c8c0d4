import {randomBytes} from "node:crypto";
import fs from "node:fs";
import {open, rename, rm, type FileHandle} from "node:fs/promises";
import path from "node:path";
import {mkdirOwnerOnly, ownerOnlyFileMode} from "./ownerOnly.js";

/** The temporary file {@link writeFileAtomic} writes beside `file` before renaming it over. */
function tempPathFor(file: string): string {
    return `${file}.${process.pid}.${Date.now()}.tmp`;
}

/** Whether `name` (a file name, no folder) is one of {@link tempPathFor}'s temporary files for `target`. */
function isTempNameOf(name: string, target: string): boolean {
    if (!name.startsWith(target + ".")) return false;
    return /^\.\d+\.\d+\.tmp$/.test(name.slice(target.length));
}

/**
 * Synchronous variant for small files (settings, keys, window state); large files use
 * {@link writeFileAtomically}, which does not block the event loop.
 * Writes a file so that readers see either the old or the new content, never a torn one:
 * write a temporary file beside it, fsync it, rename it over the target, fsync the folder.
 * On any failure (a full disk during the write or the fsync, a failed rename) the temporary file is
 * removed and the target is left as it was.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = ownerOnlyFileMode): void {
    mkdirOwnerOnly(path.dirname(file));
    const tmp = tempPathFor(file);
    const fd = fs.openSync(tmp, "w", mode);
    try {
        try {
            fs.writeFileSync(fd, data);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, file);
    } catch (error) {
        removeQuietly(tmp);
        throw error;
    }
    try {
        const dirFd = fs.openSync(path.dirname(file), "r");
        try {
            fs.fsyncSync(dirFd);
        } finally {
            fs.closeSync(dirFd);
        }
    } catch {
        // Some platforms (Windows) cannot fsync a folder; the rename is still atomic there.
    }
}

/** Removes a temporary file; a failure to remove it must not hide the error that made it useless. */
function removeQuietly(file: string): void {
    try {
        fs.rmSync(file, {force: true});
    } catch {
        // Left for the start-up clean-up (removeStaleTempFiles).
    }
}

/**
 * Start-up clean-up: removes the temporary files {@link writeFileAtomic} left beside `targets` (names in
 * `dir`) when the process died mid-write. Only files older than `minAgeMs` go: a younger one may be
 * another process's write in progress (the CLI issuing a key while the server starts).
 * @returns the names it removed
 */
export function removeStaleTempFiles(dir: string, targets: readonly string[], minAgeMs = 60_000, now = Date.now()): string[] {
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return [];
    }
    const removed: string[] = [];
    for (const name of names) {
        if (!targets.some((target) => isTempNameOf(name, target))) continue;
        const file = path.join(dir, name);
        try {
            const stat = fs.lstatSync(file);
            if (!stat.isFile() || now - stat.mtimeMs < minAgeMs) continue;
            fs.rmSync(file);
            removed.push(name);
        } catch {
            // Gone already, or not ours to remove: nothing to clean.
        }
    }
    return removed;
}

/**
 * Writes all of `chunk`: a write may take only part of it without an error (a disk filling up takes what fits),
 * and a short file renamed into place would be a truncated snapshot under its final name. Nothing written at
 * all is the disk full.
 */
async function writeWhole(handle: FileHandle, chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.byteLength;) {
        const {bytesWritten} = await handle.write(chunk, at, chunk.byteLength - at);
        if (bytesWritten === 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), {code: "ENOSPC"});
        at += bytesWritten;
    }
}

/**
 * Asynchronous atomic write of `chunks` (KV snapshots): temporary file (owner-only, exclusive),
 * fsync, rename over the target, fsync of the folder. On any failure the temporary file is removed.
 */
export async function writeFileAtomically(filePath: string, chunks: readonly Uint8Array[]): Promise<void> {
    const tmpPath = `${filePath}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
    const handle = await open(tmpPath, "wx", 0o600);
    try {
        try {
            for (const chunk of chunks) await writeWhole(handle, chunk);
            await handle.sync();
        } finally {
            await handle.close();
        }
        await rename(tmpPath, filePath);
    } catch (error) {
        await rm(tmpPath, {force: true}).catch(() => undefined);
        throw error;
    }
    try {
        const dir = await open(path.dirname(filePath), "r");
        try {
            await dir.sync();
        } finally {
            await dir.close();
        }
    } catch {
        // Folder fsync is best effort (not supported on every platform).
    }
}
