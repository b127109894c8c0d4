import type {ApiKeyInfo, CreatedApiKey} from "../../shared/admin.js";
import type {AppCore} from "../app/AppCore.js";
import {KeyValidationError, type IssuedKey} from "../config/apiKeys.js";
import {ApiError} from "../server/errors.js";
import {issuedKeyUser, scopeFor} from "../sharing/engine/scopes.js";
import {optionalString, requiredString} from "./validate.js";

/** What a list shows of an issued key: never its hash. */
function info(key: IssuedKey): ApiKeyInfo {
    return {id: key.id, name: key.name, ...(key.group != null ? {group: key.group} : {}), hint: key.hint, createdAt: key.createdAt};
}

/** GET /kvshare/keys */
export function listKeys(core: AppCore): ApiKeyInfo[] {
    return core.keys.list().map(info);
}

/**
 * POST /kvshare/keys: issues a key for an app or a person. The plain key is in this answer only (the
 * store keeps its hash); a bad or reserved name is a 400 with the store's message.
 */
export function createKey(core: AppCore, input: Record<string, unknown>): CreatedApiKey {
    const name = requiredString(input.name, "name", 64);
    const group = optionalString(input.group, "group", 64);
    try {
        const {key, entry} = core.keys.create(name, group == null || group.trim() === "" ? undefined : group);
        core.log.info(`key ${entry.id} issued to ${entry.name}${entry.group != null ? ` (group ${entry.group})` : ""}`);
        return {key, entry: info(entry)};
    } catch (error) {
        if (error instanceof KeyValidationError && error.kind === "duplicate")
            throw new ApiError(409, "invalid_request_error", error.message, "key_name_taken", error.param);
        if (error instanceof KeyValidationError) throw ApiError.badRequest(error.message, error.param, "invalid_key_name");
        throw error;
    }
}

/**
 * DELETE /kvshare/keys/{id}[?purge=true]: the key stops working with the next request. With `purge`,
 * the cached prompts of the key's own scope (its KV and prompt texts) are deleted too; prompts it sent
 * into a group's scope belong to the group and stay.
 */
export function revokeKey(core: AppCore, input: Record<string, unknown>): ApiKeyInfo[] {
    const id = requiredString(input.id, "id", 64, /^[\w-]+$/);
    const purge = input.purge === true || input.purge === "true";
    const key = core.keys.list().find((k) => k.id === id);
    if (key == null) throw new ApiError(404, "not_found_error", `No key with id '${id}'.`, "not_found", "id");
    const engine = core.inference?.runtime.sharing;
    // Refused before revoking: a purge that cannot run now could not be asked for again.
    if (purge && engine == null)
        throw new ApiError(503, "unavailable_error", "The cache cannot be purged while no model is loaded; retry when the model is ready.", "model_unavailable", null, {"retry-after": "5"});
    core.keys.revoke(id);
    if (purge && engine != null) {
        // Its id scope, and the name scope keys issued before scopes were keyed by id used.
        const scopes = [issuedKeyUser(id), `key/${key.name}`].map((user) => scopeFor(user, {scopePolicy: "user", groups: {}}));
        let removed = 0;
        for (const scope of scopes) {
            removed += engine.purgeScope(scope);
            core.requestLog.dropReplaysInScope(scope);
        }
        core.log.info(`key ${id} revoked; ${removed} cached prompts of its scope purged`);
    } else {
        core.log.info(`key ${id} revoked`);
    }
    return listKeys(core);
}
