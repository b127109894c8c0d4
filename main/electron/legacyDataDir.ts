import fs from "node:fs";
import path from "node:path";

/** What the app kept in Electron's `userData` folder before it used the data folder `kvshare serve` uses. */
const appEntries = ["settings.json", "api-key", "keys.json", "app.db", "app.db-wal", "app.db-shm", "cache", "models", "window-state.json"];
/** Entries that say a folder is the app's data folder in use. */
const markers = ["settings.json", "app.db", "api-key"];

/**
 * Brings an earlier version's data (chats, keys, settings, models, the cache) from Electron's `userData` folder
 * into the data folder, once: when the data folder holds none of the app's files and the old folder does.
 * Chromium's own files (its profile, local storage) stay where they are. Entries are moved (copied, then
 * removed, across file systems). Returns the names moved (none when there was nothing to do).
 */
export function adoptLegacyDataDir(legacyDir: string, dataDir: string): string[] {
    if (path.resolve(legacyDir) === path.resolve(dataDir)) return [];
    if (markers.some((name) => fs.existsSync(path.join(dataDir, name)))) return [];
    const present = appEntries.filter((name) => fs.existsSync(path.join(legacyDir, name)));
    if (!present.some((name) => markers.includes(name))) return [];
    fs.mkdirSync(dataDir, {recursive: true, mode: 0o700});
    for (const name of present) move(path.join(legacyDir, name), path.join(dataDir, name));
    return present;
}

function move(from: string, to: string): void {
    try {
        fs.renameSync(from, to);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
        fs.cpSync(from, to, {recursive: true, preserveTimestamps: true});
        fs.rmSync(from, {recursive: true, force: true});
    }
}
