import fs from "node:fs";

/** Whether `error` says the disk is full: the file system's ENOSPC, or SQLite unable to grow its file or its log. */
export function isDiskFull(error: unknown): boolean {
    const code = (error as {code?: unknown} | null)?.code;
    return code === "ENOSPC" || code === "SQLITE_FULL" || (error instanceof Error && /database or disk is full|no space left on device/i.test(error.message));
}

/** Free bytes on the file system holding `dir` (for this user) and its size; undefined where that cannot be read. */
export function diskSpace(dir: string): {free: number; size: number} | undefined {
    try {
        const stats = fs.statfsSync(dir);
        return {free: stats.bavail * stats.bsize, size: stats.blocks * stats.bsize};
    } catch {
        return undefined;
    }
}

/**
 * What a cache leaves free on its disk: the app's other files (its database and its log, settings, keys) and the
 * system need room to write, or a full disk stops saving chats, clearing the cache and starting the app. A tenth
 * of the disk, at least 8 MiB (the index itself grows by a vector chunk of 1.5 MiB at a time, and its log with it)
 * and at most 256 MiB.
 */
export function diskReserve(size: number): number {
    return Math.min(256 * 1024 * 1024, Math.max(8 * 1024 * 1024, Math.floor(size / 10)));
}
