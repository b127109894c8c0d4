import os from "node:os";
import path from "node:path";

export const appFolderName = "kvshare-desktop";

/**
 * Where the app keeps its settings, API key, models, database and KV snapshots:
 * `--data-dir`, else `KVSHARE_DATA_DIR`, else the platform's per-user data folder.
 * The CLI and the desktop app both take it from here, so they share keys, models and the cache, and the
 * folder's lock keeps them from serving it at once. Electron's `userData` is left to Chromium's profile: it
 * is another folder on Linux (under ~/.config) and wherever the app's name differs from {@link appFolderName}.
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
    if (explicit != null && explicit !== "") return path.resolve(explicit);
    if (env.KVSHARE_DATA_DIR != null && env.KVSHARE_DATA_DIR !== "") return path.resolve(env.KVSHARE_DATA_DIR);
    const home = os.homedir();
    if (process.platform === "win32") return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), appFolderName);
    if (process.platform === "darwin") return path.join(home, "Library", "Application Support", appFolderName);
    return path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), appFolderName);
}

export function modelsDir(dataDir: string): string {
    return path.join(dataDir, "models");
}
