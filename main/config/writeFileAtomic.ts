import fs from "node:fs";
import path from "node:path";

/**
 * Writes a file so that readers see either the old or the new content, never a torn one:
 * write a temporary file beside it, fsync it, rename it over the target, fsync the folder.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), {recursive: true});
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
