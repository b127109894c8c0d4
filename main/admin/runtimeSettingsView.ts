import os from "node:os";
import type {AdminRuntimeSettings} from "../../shared/admin.js";
import {runtimeSettingNames, type RuntimeSettings} from "../../shared/settings.js";
import {loadSettings} from "../config/settings.js";
import type {AdminDeps} from "./ports.js";

function pickRuntime(settings: RuntimeSettings): RuntimeSettings {
    const {threads, parallel, contextSize, gpu, gpuFallback} = settings;
    return {threads, parallel, contextSize, gpu, gpuFallback};
}

/** What settings.json holds, defaults filled in; null when the file cannot be read now (edited by hand meanwhile). */
function savedRuntime(dataDir: string): RuntimeSettings | null {
    try {
        return pickRuntime(loadSettings(dataDir));
    } catch {
        return null;
    }
}

/**
 * Whether a start-up flag set the live value over the file's: the flag gave this value, and the file holds another.
 * (A change from the panel writes the live settings and the file alike; a value the file got by a hand edit while
 * the app runs differs from the live one too, but is no flag's.)
 */
export function setByFlag(flag: unknown, live: unknown, saved: unknown): boolean {
    return flag !== undefined && flag === live && live !== saved;
}

/**
 * The runtime settings as the panel shows them: the live ones (the next model load reads them), what the
 * model serving now was loaded with, and what the settings file holds.
 */
export function runtimeSettingsView(deps: Pick<AdminDeps, "settings" | "dataDir" | "models" | "startupFlags">): AdminRuntimeSettings {
    const next = pickRuntime(deps.settings);
    const saved = savedRuntime(deps.dataDir);
    return {
        ...next,
        loaded: deps.models.loaded()?.runtime ?? null,
        saved,
        flagOverrides: saved == null ? [] : runtimeSettingNames.filter((name) => setByFlag(deps.startupFlags?.[name], next[name], saved[name])),
        cores: os.availableParallelism(),
        gpuBackends: deps.models.gpuBackends()?.map((support) => ({...support})) ?? null
    };
}
