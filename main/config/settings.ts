import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {defaultApiPort, defaultSharingSettings, type ApiSettings, type RuntimeSettings, type SharingSettings} from "../../shared/settings.js";
import {validateStoredSettings} from "./validateStoredSettings.js";
import {writeFileAtomic} from "./writeFileAtomic.js";

export type {SharingSettings};

/**
 * Everything an admin can set; the settings file holds any subset, defaults fill the rest. The runtime
 * settings (threads, parallel, contextSize, gpu, gpuFallback) apply at the next model load.
 */
export interface Settings extends RuntimeSettings {
    modelPath?: string;
    api: ApiSettings;
    sharing: SharingSettings;
    limits: {
        maxQueue: number;
        queueTimeoutMs: number;
        maxBodyBytes: number;
        maxTokensCap: number;
        /** Requests one key may have in flight at once (429 beyond). */
        maxConcurrentPerKey: number;
        /** Request body bytes one key may have in flight at once, all its requests together (429 beyond). */
        maxInFlightBytesPerKey: number;
        /**
         * A request's headers and body must arrive within this long (408 and the connection closed
         * after): a client that sends half a body never holds a slot for long.
         */
        requestReceiveTimeoutMs: number;
        /** A request still generating after this long is stopped (finish_reason "length"). */
        requestTimeoutMs: number;
        /**
         * Queue aging: waiting this long counts as much as a full expected cache hit, so requests that
         * reuse little are not starved by those that reuse much (lower = fairer, higher = more reuse-first).
         */
        agingMs: number;
    };
}

export const defaultSettings: Settings = {
    threads: Math.max(1, os.availableParallelism()),
    parallel: 4,
    contextSize: 2048,
    gpu: "auto",
    gpuFallback: "stock-gpu",
    api: {enabled: true, host: "127.0.0.1", port: defaultApiPort, auth: true, corsOrigins: [], allowedHosts: []},
    sharing: defaultSharingSettings,
    limits: {
        maxQueue: 64,
        queueTimeoutMs: 120_000,
        maxBodyBytes: 4 * 1024 * 1024,
        maxTokensCap: 32_768,
        maxConcurrentPerKey: 8,
        maxInFlightBytesPerKey: 16 * 1024 * 1024,
        requestReceiveTimeoutMs: 30_000,
        requestTimeoutMs: 600_000,
        agingMs: 500
    }
};

export function settingsPath(dataDir: string): string {
    return path.join(dataDir, "settings.json");
}

/** Reads the settings file; a missing file gives the defaults, a broken one a clear error. */
export function loadSettings(dataDir: string): Settings {
    return mergeSettings(defaultSettings, readStoredSettings(dataDir));
}

/** What the settings file holds (nothing when there is none), checked; a broken file is a clear error. */
function readStoredSettings(dataDir: string): SettingsPatch {
    const file = settingsPath(dataDir);
    if (!fs.existsSync(file)) return {};
    let stored: Partial<Settings>;
    try {
        stored = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Settings>;
    } catch (error) {
        throw new Error(`The settings file ${file} is not valid JSON (${(error as Error).message}). Fix or delete it.`, {cause: error});
    }
    try {
        validateStoredSettings(stored);
    } catch (error) {
        throw new Error(`The settings file ${file}: ${(error as Error).message} Fix or delete it.`, {cause: error});
    }
    return stored;
}

/**
 * Writes `patch` into the settings file over what the file holds, and nothing else: settings never changed
 * stay out of it, so a later version's defaults reach them (and this machine's start-up values, such as
 * its core count, are not frozen into it). The file is checked first, as at start-up.
 */
export function saveSettingsPatch(dataDir: string, patch: SettingsPatch): void {
    const stored = readStoredSettings(dataDir) as Settings;
    writeFileAtomic(settingsPath(dataDir), JSON.stringify(mergeSettings(stored, patch), null, 4) + "\n");
}

/** A partial settings object: top-level fields, and any subset of each group. */
export type SettingsPatch = Partial<Omit<Settings, "api" | "limits" | "sharing">> & {
    api?: Partial<Settings["api"]>;
    limits?: Partial<Settings["limits"]>;
    sharing?: Partial<SharingSettings>;
};

/** Deep-merges a partial settings object over a base (objects merge, everything else replaces). */
export function mergeSettings(base: Settings, patch: SettingsPatch): Settings {
    const merged = structuredClone(base) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        const current = merged[key];
        merged[key] = isPlainObject(current) && isPlainObject(value) ? {...current, ...value} : value;
    }
    return merged as unknown as Settings;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value != null && !Array.isArray(value);
}
