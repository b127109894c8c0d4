import {isAdminOp, type AdminOp, type AdminOutput} from "../../shared/admin.js";
import {invalidInput} from "./errors.js";
import type {AdminDeps} from "./ports.js";
import {deleteConversation, listConversations, saveConversation} from "./conversationsService.js";
import {deleteProfile, listProfiles, saveProfile} from "./profilesService.js";
import {listModels, loadModel, modelStatus} from "./modelsService.js";
import {createKey, listKeys, revokeKey} from "./keysService.js";
import {getSettings, patchSettings} from "./settingsService.js";
import {cacheStats, clearCache} from "./statsService.js";
import {deleteCachedPrompt, listCachedPrompts} from "./cachedPromptsService.js";
import {whatIf} from "./whatIfService.js";
import {recomputePolicies} from "../../shared/settings.js";
import {objectInput, optionalBoolean, optionalNumber, optionalOneOf, optionalString} from "./validate.js";

/**
 * The operations that answer asynchronously (they read files, or move the API server); the others
 * answer at once.
 */
export type AsyncAdminOp = "listModels" | "loadModel" | "patchSettings";
/** What {@link runAdminOp} returns for an operation: a promise for the asynchronous ones. */
export type AdminResult<K extends AdminOp> = K extends AsyncAdminOp ? Promise<AdminOutput<K>> : AdminOutput<K>;

/**
 * Every admin operation as a plain `(deps, input) => output` function over unvalidated input. The
 * HTTP routes (main/admin/httpRoutes.ts) and the Electron IPC channel both call {@link runAdminOp},
 * so validation and behaviour are the same on both paths.
 */
const operations: {[K in AdminOp]: (deps: AdminDeps, input: Record<string, unknown>) => AdminResult<K>} = {
    getSettings: (deps) => getSettings(deps),
    patchSettings: (deps, input) => patchSettings(deps, input),
    cacheStats: (deps, input) => {
        const bucketMs = optionalNumber(input.bucketMs, "bucketMs", 1000, 30 * 86_400_000);
        const since = optionalNumber(input.since, "since", 0, Number.MAX_SAFE_INTEGER);
        const scope = optionalString(input.scope, "scope", 128) || undefined;
        return cacheStats(deps, {...(bucketMs == null ? {} : {bucketMs}), ...(since == null ? {} : {since}), ...(scope == null ? {} : {scope})});
    },
    whatIf: (deps, input) => {
        const scope = optionalString(input.scope, "scope", 128) || undefined;
        // Empty means the policy in effect, as an empty scope means every scope.
        const recomputePolicy = optionalOneOf(input.recomputePolicy, "recomputePolicy", recomputePolicies);
        return whatIf(deps, {...(scope == null ? {} : {scope}), ...(recomputePolicy == null ? {} : {recomputePolicy})});
    },
    clearCache: (deps) => clearCache(deps),
    listCachedPrompts: (deps, input) => listCachedPrompts(deps, input),
    deleteCachedPrompt: (deps, input) => deleteCachedPrompt(deps, input),
    listConversations: (deps, input) => {
        const profile = optionalString(input.profile, "profile", 64);
        const before = optionalString(input.before, "before", 120);
        const text = optionalString(input.text, "text", 1000);
        const pinned = optionalBoolean(input.pinned, "pinned");
        return listConversations(deps.db, {
            ...(profile == null ? {} : {profile}),
            ...(before == null ? {} : {before}),
            ...(text == null ? {} : {text}),
            ...(pinned ? {pinned} : {})
        });
    },
    saveConversation: (deps, input) => saveConversation(deps.db, input),
    deleteConversation: (deps, input) => deleteConversation(deps.db, input),
    listProfiles: (deps) => listProfiles(deps),
    saveProfile: (deps, input) => saveProfile(deps, input),
    deleteProfile: (deps, input) => deleteProfile(deps, input),
    listModels: (deps) => listModels(deps),
    loadModel: (deps, input) => loadModel(deps, input),
    modelStatus: (deps) => modelStatus(deps),
    listKeys: (deps) => listKeys(deps),
    createKey: (deps, input) => createKey(deps, input),
    revokeKey: (deps, input) => revokeKey(deps, input)
};

/**
 * Runs one admin operation; an unknown name or bad input is an invalid-input `AdminError`. The result is a
 * promise for the {@link AsyncAdminOp}s (callers that take any operation await it).
 */
export function runAdminOp<K extends AdminOp>(deps: AdminDeps, op: K | string, input: unknown): AdminResult<K> {
    if (!isAdminOp(op)) throw invalidInput(`Unknown admin operation '${String(op).slice(0, 64)}'.`, "op");
    const run = operations[op] as (deps: AdminDeps, input: Record<string, unknown>) => AdminResult<K>;
    return run(deps, objectInput(input, "The input"));
}
