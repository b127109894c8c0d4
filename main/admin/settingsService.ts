import type {AdminSettings, AdminSettingsPatch} from "../../shared/admin.js";
import type {AppCore} from "../app/AppCore.js";
import {loadSettings, mergeSettings, saveSettings, type SettingsPatch} from "../config/settings.js";
import {SettingsValidationError, validateSettingsPatch} from "../config/validateSettings.js";
import {ApiError} from "../server/errors.js";

/** Settings shown but not changeable from the panel: they are read when the server starts. */
const readOnly = ["api.enabled", "api.host", "api.port", "api.auth", "api.key"];
/** Saved at once, used from the next model load. */
const restartRequired = ["sharing.embedder"];

function maskKey(key: string): string {
    return key.length <= 4 ? "••••" : `${"•".repeat(8)}${key.slice(-4)}`;
}

/** GET /kvshare/settings */
export function getSettings(core: AppCore): AdminSettings {
    const {sharing, api} = core.settings;
    return {
        sharing: {...sharing, groups: {...sharing.groups}},
        api: {enabled: api.enabled, host: api.host, port: api.port, auth: api.auth, corsOrigins: [...api.corsOrigins], keyHint: maskKey(core.apiKey)},
        readOnly: [...readOnly],
        restartRequired: [...restartRequired]
    };
}

/**
 * PATCH /kvshare/settings: validates the change, applies it to the live settings (the sharing engine
 * and the HTTP server read them per request, so it takes effect at once) and saves it to
 * settings.json. The file gets only the change, over what it held: start-up flags such as
 * `--port 0` or `--threads 1` stay out of it. A smaller snapshot budget evicts at once.
 */
export function patchSettings(core: AppCore, input: AdminSettingsPatch | unknown): AdminSettings {
    let patch;
    try {
        patch = validateSettingsPatch(input);
    } catch (error) {
        if (error instanceof SettingsValidationError) throw ApiError.badRequest(error.message, error.param, "invalid_setting");
        throw error;
    }
    const filePatch: SettingsPatch = {};
    if (patch.sharing != null) filePatch.sharing = patch.sharing;
    if (patch.api?.corsOrigins != null) filePatch.api = {corsOrigins: patch.api.corsOrigins};

    saveSettings(core.dataDir, mergeSettings(loadSettings(core.dataDir), filePatch));
    // In place: anything holding `core.settings.sharing` (the engine's settings getter) sees the change.
    if (filePatch.sharing != null) Object.assign(core.settings.sharing, filePatch.sharing);
    if (filePatch.api?.corsOrigins != null) core.settings.api.corsOrigins = filePatch.api.corsOrigins;

    if (patch.sharing?.maxSnapshotBytes != null) core.cacheStore?.evictToBudget(core.settings.sharing.maxSnapshotBytes);
    core.log.info(`settings changed: ${JSON.stringify(filePatch)}`);
    return getSettings(core);
}
