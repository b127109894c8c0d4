import {randomBytes} from "node:crypto";
import fs from "node:fs";
import {open, rename, rm} from "node:fs/promises";
import path from "node:path";
import {mkdirOwnerOnly, ownerOnlyFileMode} from "./ownerOnly.js";

/**
 * Synchronous variant for small files (settings, keys, window state); large files use
 * {@link writeFileAtomically}, which does not block the event loop.
 * Writes a file so that readers see either the old or the new content, never a torn one:
 * write a temporary file beside it, fsync it, rename it over the target, fsync the folder.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = ownerOnlyFileMode): void {
    mkdirOwnerOnly(path.dirname(file));
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const fd = fs.openSync(tmp, "w", mode);
    try {
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    try {
        fs.renameSync(tmp, file);
    } catch (error) {
        fs.rmSync(tmp, {force: true});
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

/**
 * Asynchronous atomic write of `chunks` (KV snapshots): temporary file (owner-only, exclusive),
 * fsync, rename over the target, fsync of the folder.
 */
export async function writeFileAtomically(filePath: string, chunks: readonly Uint8Array[]): Promise<void> {
    const tmpPath = `${filePath}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
    const handle = await open(tmpPath, "wx", 0o600);
    try {
        for (const chunk of chunks) await handle.write(chunk);
        await handle.sync();
    } catch (error) {
        await handle.close();
        await rm(tmpPath, {force: true});
        throw error;
    }
    await handle.close();
    try {
        await rename(tmpPath, filePath);
    } catch (error) {
        await rm(tmpPath, {force: true});
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
