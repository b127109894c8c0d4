/**
 * Checks the settings file as it is read at start-up. The admin panel's changes are checked as they are
 * made; a file edited by hand is not, and a bad value there (0 sequences, a negative top k, a string for
 * a number) would otherwise start a server that cannot serve, or fail deep inside llama.cpp.
 */
import {defaultSharingSettings, runtimeSettingNames} from "../../shared/settings.js";
import {boolean, isObject, number, runtimeSetting, SettingsValidationError, validateSettingsPatch} from "./validateSettings.js";

/** Each request limit's range (whole numbers) and what it counts. */
const limitRanges: Record<string, readonly [number, number, string]> = {
    maxQueue: [1, 100_000, "requests waiting"],
    queueTimeoutMs: [1, 86_400_000, "ms"],
    maxBodyBytes: [1024, 1024 ** 3, "bytes"],
    maxTokensCap: [1, 1_048_576, "tokens"],
    maxConcurrentPerKey: [1, 100_000, "requests"],
    maxInFlightBytesPerKey: [1024, 16 * 1024 ** 3, "bytes"],
    requestReceiveTimeoutMs: [1, 3_600_000, "ms"],
    requestTimeoutMs: [1, 86_400_000, "ms"],
    agingMs: [0, 3_600_000, "ms"]
};

/** The API settings the panel changes live (`auth` is the file's alone). */
const liveApiKeys = ["enabled", "host", "port", "corsOrigins", "allowedHosts"];

/** The fields of `group` this version knows (a newer version may have written others). */
function known(group: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
    return Object.fromEntries(Object.entries(group).filter(([key]) => keys.includes(key)));
}

/**
 * Throws {@link SettingsValidationError} naming the first bad setting. Fields this version does not know
 * are left alone (a newer version may have written them).
 */
export function validateStoredSettings(stored: unknown): void {
    if (!isObject(stored)) throw new SettingsValidationError("it must hold a JSON object.", "settings");
    const {modelPath, api, sharing, limits} = stored;
    if (modelPath !== undefined && (typeof modelPath !== "string" || modelPath.trim() === ""))
        throw new SettingsValidationError("modelPath must be the path of a GGUF file.", "modelPath");
    for (const key of runtimeSettingNames) if (stored[key] !== undefined) runtimeSetting(key, stored[key], key);
    if (sharing !== undefined) {
        if (!isObject(sharing)) throw new SettingsValidationError("sharing must be an object.", "sharing");
        validateSettingsPatch({sharing: known(sharing, Object.keys(defaultSharingSettings))});
    }
    if (api !== undefined) {
        if (!isObject(api)) throw new SettingsValidationError("api must be an object.", "api");
        // `auth` is set in the file only (never while the app runs); the rest as the panel checks it.
        if (api.auth !== undefined) boolean(api.auth, "api.auth");
        validateSettingsPatch({api: known(api, liveApiKeys)});
    }
    if (limits !== undefined) {
        if (!isObject(limits)) throw new SettingsValidationError("limits must be an object.", "limits");
        for (const [key, value] of Object.entries(limits)) {
            const range = limitRanges[key];
            if (range == null) continue;
            number(value, `limits.${key}`, range[0], range[1], true, range[2]);
        }
    }
}
