/**
 * Snapshot file paths of the cache dir. Rows store paths *relative* to the cache dir (so the
 * folder can move) with '/' separators; every path is checked to stay inside the cache dir before
 * the store deletes anything.
 */
import fs from "node:fs";
import path from "node:path";

/** Folder (relative to the cache dir) whose files the consistency pass owns. */
export const SNAPSHOTS_SUBDIR = "snapshots";

/** Normalise a relative snapshot path to `a/b/c` form; throws for absolute or escaping paths. */
export function normalizeSnapshotPath(relative: string): string {
    if (relative.length === 0 || path.isAbsolute(relative) || path.win32.isAbsolute(relative))
        throw new Error(`snapshot_file must be a non-empty path relative to the cache dir, got ${JSON.stringify(relative)}`);
    const normal = path.posix.normalize(relative.replaceAll("\\", "/"));
    if (normal === "." || normal === ".." || normal.startsWith("../"))
        throw new Error(`snapshot_file must stay inside the cache dir, got ${JSON.stringify(relative)}`);
    return normal;
}

/** Absolute path of a stored (normalised) snapshot path. */
export function snapshotAbsolutePath(cacheDir: string, relative: string): string {
    return path.join(cacheDir, ...relative.split("/"));
}

/**
 * Delete a file; returns whether it was deleted. A file that is already gone is fine (the goal state holds).
 * One that cannot be deleted (no permission, a folder in its place) is left where it is and reported to
 * `onError`: its row is gone already, so it is an orphan the next consistency pass tries again, and the
 * request or start-up that removed the row goes on.
 */
export function unlinkQuiet(file: string, onError?: (message: string) => void): boolean {
    try {
        fs.unlinkSync(file);
        return true;
    } catch (error) {
        // Gone already, or its folder is (ENOTDIR: a path component is a file now): nothing to delete.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR")
            onError?.(`could not delete the snapshot file ${path.basename(file)}: ${code ?? (error as Error).message}`);
        return false;
    }
}

/** Regular files under `dir` (recursive) as paths relative to `base` with '/' separators. */
export function listFilesRelative(base: string, dir: string): Array<{relative: string; mtimeMs: number}> {
    const out: Array<{relative: string; mtimeMs: number}> = [];
    const walk = (d: string): void => {
        let items: fs.Dirent[];
        try {
            items = fs.readdirSync(d, {withFileTypes: true});
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
            throw error;
        }
        for (const item of items) {
            const full = path.join(d, item.name);
            if (item.isDirectory()) walk(full);
            else if (item.isFile()) out.push({relative: path.relative(base, full).split(path.sep).join("/"), mtimeMs: fs.statSync(full).mtimeMs});
        }
    };
    walk(dir);
    return out;
}

/**
 * Deletes the files under `snapshots/` that no row points to (`referenced`), but for those modified after `cutoffMs`
 * (a snapshot is written before its row is inserted); returns the deleted files, relative to `cacheDir`.
 */
export function deleteUnreferencedSnapshots(cacheDir: string, referenced: ReadonlySet<string>, cutoffMs: number, warn?: (message: string) => void): string[] {
    const deleted: string[] = [];
    for (const file of listFilesRelative(cacheDir, path.join(cacheDir, SNAPSHOTS_SUBDIR))) {
        if (referenced.has(file.relative) || file.mtimeMs > cutoffMs) continue;
        if (unlinkQuiet(snapshotAbsolutePath(cacheDir, file.relative), warn)) deleted.push(file.relative);
    }
    return deleted;
}
