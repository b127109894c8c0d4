import {adminHttpRoutes, isAdminOp, type AdminOp, type AdminOutput} from "../../shared/admin.js";
import type {AppCore} from "../app/AppCore.js";
import {ApiError} from "../server/errors.js";
import {deleteConversation, listConversations, saveConversation} from "./conversationsService.js";
import {deleteProfile, listProfiles, saveProfile} from "./profilesService.js";
import {listModels, loadModel, modelStatus} from "./modelsService.js";
import {createKey, listKeys, revokeKey} from "./keysService.js";
import {getSettings, patchSettings} from "./settingsService.js";
import {cacheStats, clearCache} from "./statsService.js";
import {whatIf} from "./whatIfService.js";
import {objectInput, optionalNumber, optionalString} from "./validate.js";

/**
 * The operations that answer asynchronously (they read files, or move the API server); the others
 * answer at once.
 */
export type AsyncAdminOp = "listModels" | "loadModel" | "patchSettings";
/** What {@link runAdminOp} returns for an operation: a promise for the asynchronous ones. */
export type AdminResult<K extends AdminOp> = K extends AsyncAdminOp ? Promise<AdminOutput<K>> : AdminOutput<K>;

/**
 * Every admin operation as a plain `(core, input) => output` function over unvalidated input. The
 * HTTP routes (main/admin/httpRoutes.ts) and the Electron IPC channel both call {@link runAdminOp},
 * so validation and behaviour are the same on both paths.
 */
const operations: {[K in AdminOp]: (core: AppCore, input: Record<string, unknown>) => AdminResult<K>} = {
    getSettings: (core) => getSettings(core),
    patchSettings: (core, input) => patchSettings(core, input),
    cacheStats: (core, input) => {
        const bucketMs = optionalNumber(input.bucketMs, "bucketMs", 1000, 30 * 86_400_000);
        const since = optionalNumber(input.since, "since", 0, Number.MAX_SAFE_INTEGER);
        const scope = optionalString(input.scope, "scope", 128) || undefined;
        return cacheStats(core, {...(bucketMs == null ? {} : {bucketMs}), ...(since == null ? {} : {since}), ...(scope == null ? {} : {scope})});
    },
    whatIf: (core, input) => {
        const scope = optionalString(input.scope, "scope", 128) || undefined;
        return whatIf(core, scope == null ? {} : {scope});
    },
    clearCache: (core) => clearCache(core),
    listConversations: (core, input) => {
        const profile = optionalString(input.profile, "profile", 64);
        return listConversations(core, profile == null ? {} : {profile});
    },
    saveConversation: (core, input) => saveConversation(core, input),
    deleteConversation: (core, input) => deleteConversation(core, input),
    listProfiles: (core) => listProfiles(core),
    saveProfile: (core, input) => saveProfile(core, input),
    deleteProfile: (core, input) => deleteProfile(core, input),
    listModels: (core) => listModels(core),
    loadModel: (core, input) => loadModel(core, input),
    modelStatus: (core) => modelStatus(core),
    listKeys: (core) => listKeys(core),
    createKey: (core, input) => createKey(core, input),
    revokeKey: (core, input) => revokeKey(core, input)
};

/**
 * Runs one admin operation; an unknown name or bad input is a 400 {@link ApiError}. The result is a
 * promise for the {@link AsyncAdminOp}s (callers that take any operation await it).
 */
export function runAdminOp<K extends AdminOp>(core: AppCore, op: K | string, input: unknown): AdminResult<K> {
    if (!isAdminOp(op)) throw ApiError.badRequest(`Unknown admin operation '${String(op).slice(0, 64)}'.`, "op");
    const run = operations[op] as (core: AppCore, input: Record<string, unknown>) => AdminResult<K>;
    return run(core, objectInput(input, "The input"));
}

export {adminHttpRoutes};
