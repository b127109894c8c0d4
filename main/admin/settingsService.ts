import os from "node:os";
import type {AdminSettings, AdminSettingsPatch} from "../../shared/admin.js";
import {loadSettings, saveSettingsPatch, type SettingsPatch} from "../config/settings.js";
import {SettingsValidationError, validateSettingsPatch, type ValidatedSettingsPatch} from "../config/validateSettings.js";
import {maxCharsPerToken} from "../runtime/errors.js";
import {AdminError, invalidInput} from "./errors.js";
import {ApiListenError, type AdminDeps} from "./ports.js";
import {unsafeAuthReason} from "../config/addresses.js";
import {isObject} from "./validate.js";
import {groupsConflictMessage, mergeGroups} from "../../shared/groupsMerge.js";
import {runtimeSettingNames} from "../../shared/settings.js";
import {runtimeSettingsView, setByFlag} from "./runtimeSettingsView.js";

/** What the settings operations use. */
export type SettingsDeps = Pick<AdminDeps, "settings" | "dataDir" | "startupFlags" | "apiKey" | "apiServer" | "models" | "cache" | "log">;

/** Settings shown but not changeable from the panel: they are read when the server starts. */
const readOnly = ["api.auth", "api.key"];
/** Saved at once, used from the next model load. */
const restartRequired = ["sharing.embedder", ...runtimeSettingNames.map((name) => `runtime.${name}`)];

function maskKey(key: string): string {
    return key.length <= 4 ? "••••" : `${"•".repeat(8)}${key.slice(-4)}`;
}

/** What settings.json holds for the API's address; null when the file cannot be read now (edited by hand meanwhile). */
function savedAddress(dataDir: string): {host: string; port: number} | null {
    try {
        const {host, port} = loadSettings(dataDir).api;
        return {host, port};
    } catch {
        return null;
    }
}

/** GET /kvshare/settings */
export function getSettings(deps: Pick<AdminDeps, "settings" | "startupFlags" | "apiKey" | "apiServer" | "dataDir" | "models">): AdminSettings {
    const {sharing, api} = deps.settings;
    const saved = savedAddress(deps.dataDir);
    return {
        sharing: {...sharing, groups: {...sharing.groups}},
        api: {
            enabled: api.enabled,
            host: api.host,
            port: api.port,
            auth: api.auth,
            corsOrigins: [...api.corsOrigins],
            allowedHosts: [...api.allowedHosts],
            keyHint: maskKey(deps.apiKey),
            url: deps.apiServer()?.url ?? null,
            servesUi: deps.apiServer()?.servesUi ?? false,
            saved,
            flagOverrides: saved == null ? [] : (["host", "port"] as const).filter((name) => setByFlag(deps.startupFlags?.api?.[name], api[name], saved[name]))
        },
        runtime: runtimeSettingsView(deps),
        readOnly: [...readOnly],
        restartRequired: [...restartRequired]
    };
}

/**
 * Starts, moves or stops the API server for a change of `api.enabled`, `api.host` or `api.port`,
 * before anything is saved: a 409 (port busy, not an address of this machine) changes nothing.
 */
async function applyApiServer(deps: SettingsDeps, api: NonNullable<ValidatedSettingsPatch["api"]>): Promise<void> {
    const current = deps.settings.api;
    const server = deps.apiServer();
    if (api.enabled === false && server?.servesUi)
        throw invalidInput("In headless mode the API serves this page; stop the server instead (Ctrl+C where `serve` runs).", "api.enabled", "invalid_setting");
    const unsafe = api.host == null ? undefined : unsafeAuthReason({host: api.host, auth: current.auth});
    if (unsafe != null) throw invalidInput(unsafe, "api.host", "invalid_setting");
    if (server == null) return;
    const enabled = api.enabled ?? current.enabled;
    const host = api.host ?? current.host;
    const port = api.port ?? current.port;
    const moved = host !== current.host || port !== current.port;
    try {
        if (!enabled) {
            if (server.running) await server.stop();
        } else if (moved || (api.enabled === true && !server.running)) {
            await server.start(host, port);
        }
    } catch (error) {
        if (error instanceof ApiListenError) throw new AdminError("conflict", error.message, "api_listen_failed", api.port != null ? "api.port" : "api.host");
        throw error;
    }
}

/**
 * A shared prefix is offered as one sequence's KV: one that does not fit the context with room for a
 * question would be cut silently (and costs a long prefill for nothing).
 */
function checkSharedPrefixesFit(deps: SettingsDeps, texts: readonly string[]): void {
    const model = deps.models.loaded();
    if (model == null) return;
    const limit = Math.floor(model.contextSize / 2);
    texts.forEach((text, i) => {
        const tokens = text.length > model.contextSize * maxCharsPerToken ? Number.POSITIVE_INFINITY : model.countTokens(text);
        if (tokens > limit)
            throw invalidInput(
                `sharing.sharedPrefixes[${i}] is ${Number.isFinite(tokens) ? `${tokens} tokens` : "far too long"}; a shared prefix may take at most half the context (${limit} tokens), leaving room for the question.`,
                "sharing.sharedPrefixes",
                "invalid_setting"
            );
    });
}

/** `baseGroups` as sent: absent, or user → group names (it is only compared, never saved). */
function optionalGroups(value: unknown, param: string): Record<string, string> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value) || !Object.values(value).every((group) => typeof group === "string"))
        throw invalidInput(`'${param}' must be an object mapping a user name to a group name.`, param);
    return value as Record<string, string>;
}

/**
 * A change of `sharing.groups` made over `base` (the groups as the panel read them), applied over the groups
 * as they are `now` (see {@link mergeGroups}); a line changed both here and meanwhile, differently, is a 409
 * naming it: nothing is saved.
 */
function groupsOver(now: Record<string, string>, base: Record<string, string>, wanted: Record<string, string>): Record<string, string> {
    const {groups, conflicts} = mergeGroups(now, base, wanted);
    if (conflicts.length > 0) throw new AdminError("conflict", groupsConflictMessage(conflicts), "groups_changed", "sharing.groups");
    return groups;
}

/**
 * PATCH /kvshare/settings: validates the change, applies it to the live settings (the sharing engine
 * and the HTTP server read them per request, so it takes effect at once) and saves it to
 * settings.json. The file gets only the change, over what it held: start-up flags such as
 * `--port 0` or `--threads 1` stay out of it, and so do the defaults. A smaller snapshot or memory budget evicts at once. A new API
 * address is listened on before the old one is let go (the answer, sent from the old address, names
 * the new one in `api.url`); without a server change this settles synchronously. The runtime settings are
 * saved and set live, and the next model load reads them (the model serving now keeps its own). A change of
 * `sharing.groups` replaces them whole, unless it names the groups it was made over (`baseGroups`): then
 * only its own lines are applied, over the groups as they are now (see {@link groupsOver}).
 */
export async function patchSettings(
    deps: SettingsDeps,
    input: AdminSettingsPatch | unknown
): Promise<AdminSettings & {evicted?: {removedEntries: number; freedBytes: number}}> {
    const {baseGroups: rawBase, ...settingsInput} = isObject(input) ? input : {};
    let patch;
    try {
        patch = validateSettingsPatch(isObject(input) ? settingsInput : input);
    } catch (error) {
        if (error instanceof SettingsValidationError) throw invalidInput(error.message, error.param, "invalid_setting");
        throw error;
    }
    // More threads than cores: llama.cpp's threads wait on each other at every step, and generation under load slows
    // down many times over (a settings file or a start-up flag may still ask for it: the panel shows the core count).
    const cores = os.availableParallelism();
    if (patch.runtime?.threads != null && patch.runtime.threads > cores)
        throw invalidInput(
            `runtime.threads must be at most ${cores}, this machine's logical cores; got ${patch.runtime.threads}. More threads than cores slows generation down.`,
            "runtime.threads",
            "invalid_setting"
        );
    const base = optionalGroups(rawBase, "baseGroups");
    const wanted = patch.sharing?.groups;
    // The groups this change leaves, checked (a 409) before anything moves.
    const groupsBefore = {...deps.settings.sharing.groups};
    const groups = wanted == null || base == null ? wanted : groupsOver(groupsBefore, base, wanted);
    if (patch.sharing?.sharedPrefixes != null) checkSharedPrefixesFit(deps, patch.sharing.sharedPrefixes);
    const api = patch.api ?? {};
    if (api.enabled != null || api.host != null || api.port != null) await applyApiServer(deps, api);

    const filePatch: SettingsPatch = {};
    // A profile saved while the API server moved (the await above) changed its line meanwhile: this change's own
    // lines go over the groups as they are now, and that line stays (no refusal once the server has moved).
    const applied = groups == null ? undefined : mergeGroups(deps.settings.sharing.groups, groupsBefore, groups).groups;
    if (patch.sharing != null) filePatch.sharing = applied == null ? patch.sharing : {...patch.sharing, groups: applied};
    if (Object.keys(api).length > 0) filePatch.api = api;
    // The settings file holds them at the top level.
    Object.assign(filePatch, patch.runtime);

    saveSettingsPatch(deps.dataDir, filePatch);
    // In place: anything holding `deps.settings.sharing` (the engine's settings getter) sees the change.
    if (filePatch.sharing != null) Object.assign(deps.settings.sharing, filePatch.sharing);
    if (filePatch.api != null) Object.assign(deps.settings.api, filePatch.api);
    Object.assign(deps.settings, patch.runtime);

    // What a smaller budget removed is said (the page says it beside "Saved"), as a clearing of the cache is.
    const evicted = patch.sharing?.maxSnapshotBytes == null ? [] : ((await deps.cache()?.evictToBudget(deps.settings.sharing.maxSnapshotBytes)) ?? []);
    if (patch.sharing?.maxMemoryBytes != null) deps.cache()?.trimMemoryTier();
    if (patch.sharing?.sharedPrefixes != null) await deps.cache()?.refreshSharedPrefixes();
    deps.log.info(`settings changed: ${JSON.stringify(filePatch)}`);
    if (evicted.length === 0) return getSettings(deps);
    const freedBytes = evicted.reduce((sum, entry) => sum + entry.bytes, 0);
    deps.log.info(`the smaller snapshot budget removed ${evicted.length} cached prompts (${freedBytes} bytes)`);
    return {...getSettings(deps), evicted: {removedEntries: evicted.length, freedBytes}};
}
