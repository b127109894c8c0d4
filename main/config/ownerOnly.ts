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
 * What the app keeps in its data folder (besides Electron's own folders in the desktop app, which
 * Electron creates owner-only). Only these are tightened: a data folder the user pointed at a shared
 * place must not have unrelated files changed.
 */
const appEntries = new Set([
    "settings.json",
    "keys.json",
    "api-key",
    "app.db",
    "app.db-wal",
    "app.db-shm",
    "window-state.json",
    "server.lock",
    "cache",
    "models"
]);

/**
 * Start-up check: takes group and other permissions off the data folder's own files and folders (the
 * cache folder with everything in it; the models folder itself, not the user's model files in it).
 * The data folder itself is tightened only when it holds nothing but the app's entries, so that
 * `--data-dir ~` never changes the home folder's mode (a warning says so instead).
 * @returns the paths it changed, relative to `dataDir`, and whether the folder itself stays open to others
 */
export function secureDataDir(dataDir: string): {changed: string[]; folderOpen: boolean} {
    if (!enforced) return {changed: [], folderOpen: false};
    const changed: string[] = [];
    const tighten = (target: string, isDir: boolean, recurse: boolean) => {
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
            changed.push(path.relative(dataDir, target));
        }
        if (!isDir || !recurse) return;
        for (const entry of fs.readdirSync(target, {withFileTypes: true}))
            if (entry.isDirectory() || entry.isFile()) tighten(path.join(target, entry.name), entry.isDirectory(), true);
    };
    const entries = fs.readdirSync(dataDir, {withFileTypes: true});
    for (const entry of entries) {
        if (!appEntries.has(entry.name) || !(entry.isDirectory() || entry.isFile())) continue;
        tighten(path.join(dataDir, entry.name), entry.isDirectory(), entry.name === "cache");
    }
    const ours = entries.every((entry) => appEntries.has(entry.name));
    const folderMode = fs.statSync(dataDir).mode;
    if ((folderMode & 0o077) === 0) return {changed, folderOpen: false};
    if (!ours) return {changed, folderOpen: true};
    fs.chmodSync(dataDir, ownerOnlyDirMode);
    return {changed: [".", ...changed], folderOpen: false};
}
