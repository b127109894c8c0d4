import fs from "node:fs";
import path from "node:path";

/**
 * The data folder holds chats, every cached prompt's text and KV, and keys (patient text on a shared
 * machine): every folder in it is 0700 and every file 0600. POSIX modes only; on Windows the per-user
 * profile folder's ACL does this job and chmod is a no-op.
 */
export const ownerOnlyDirMode = 0o700;
export const ownerOnlyFileMode = 0o600;

const enforced = process.platform !== "win32";

/** mkdir -p with owner-only modes on every folder it creates (and on the last one even if it existed). */
export function mkdirOwnerOnly(dir: string): void {
    fs.mkdirSync(dir, {recursive: true, mode: ownerOnlyDirMode});
    if (enforced) fs.chmodSync(dir, ownerOnlyDirMode);
}

/**
 * Creates an empty owner-only file if none exists, so a library that creates its files with the
 * process umask (SQLite: the database, and its -wal/-shm files take the database's mode) starts from 0600.
 */
export function touchOwnerOnly(file: string): void {
    fs.closeSync(fs.openSync(file, "a", ownerOnlyFileMode));
    if (enforced) fs.chmodSync(file, ownerOnlyFileMode);
}

/**
 * Start-up check: walks the data folder (not the models folder's files, which are the user's own model
 * files and hold no private data) and takes group and other permissions off anything that has them.
 * @returns the paths it changed, relative to `dataDir`
 */
export function secureDataDir(dataDir: string): string[] {
    if (!enforced) return [];
    const changed: string[] = [];
    const visit = (target: string, isDir: boolean) => {
        let stat: fs.Stats;
        try {
            stat = fs.lstatSync(target);
        } catch {
            return;
        }
        if (stat.isSymbolicLink()) return;
        const wanted = isDir ? ownerOnlyDirMode : ownerOnlyFileMode;
        if ((stat.mode & 0o077) !== 0) {
            fs.chmodSync(target, (stat.mode & 0o700) | (wanted & 0o700));
            changed.push(path.relative(dataDir, target) || ".");
        }
        if (!isDir) return;
        const modelsFolder = target === path.join(dataDir, "models");
        for (const entry of fs.readdirSync(target, {withFileTypes: true})) {
            if (entry.isDirectory()) visit(path.join(target, entry.name), true);
            else if (!modelsFolder && entry.isFile()) visit(path.join(target, entry.name), false);
        }
    };
    visit(dataDir, true);
    return changed;
}
