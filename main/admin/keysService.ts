import type {ApiKeyInfo, CreatedApiKey} from "../../shared/admin.js";
import {KeysFileDamagedError, KeyValidationError, type IssuedKey} from "../config/apiKeys.js";
import {AdminError, invalidInput} from "./errors.js";
import type {AdminDeps} from "./ports.js";

/** What the key operations use. */
export type KeysDeps = Pick<AdminDeps, "keys" | "cache" | "requestLog" | "log" | "forgetLiveKv">;
import {issuedKeyUser, scopeFor} from "../sharing/engine/scopes.js";
import {optionalString, requiredString} from "./validate.js";

/** What a list shows of an issued key: never its hash. */
function info(key: IssuedKey): ApiKeyInfo {
    return {id: key.id, name: key.name, ...(key.group != null ? {group: key.group} : {}), hint: key.hint, createdAt: key.createdAt};
}

/** GET /kvshare/keys */
export function listKeys(deps: Pick<AdminDeps, "keys">): ApiKeyInfo[] {
    return keyFile(() => deps.keys.list().map(info));
}

/** Runs a key operation; a damaged keys file is the admin's to fix: 503 saying which file and what is wrong. */
function keyFile<T>(operation: () => T): T {
    try {
        return operation();
    } catch (error) {
        if (error instanceof KeysFileDamagedError) throw new AdminError("unavailable", error.message, "keys_file_damaged", null, error.retryAfterSeconds);
        throw error;
    }
}

/**
 * POST /kvshare/keys: issues a key for an app or a person. The plain key is in this answer only (the
 * store keeps its hash); a bad or reserved name is a 400 with the store's message.
 */
export function createKey(deps: Pick<AdminDeps, "keys" | "log">, input: Record<string, unknown>): CreatedApiKey {
    const name = requiredString(input.name, "name", 64);
    const group = optionalString(input.group, "group", 64);
    try {
        const {key, entry} = keyFile(() => deps.keys.create(name, group == null || group.trim() === "" ? undefined : group));
        deps.log.info(`key ${entry.id} issued to ${entry.name}${entry.group != null ? ` (group ${entry.group})` : ""}`);
        return {key, entry: info(entry)};
    } catch (error) {
        if (error instanceof KeyValidationError && error.kind === "duplicate") throw new AdminError("conflict", error.message, "key_name_taken", error.param);
        if (error instanceof KeyValidationError) throw invalidInput(error.message, error.param, "invalid_key_name");
        throw error;
    }
}

/**
 * DELETE /kvshare/keys/{id}[?purge=true]: the key stops working at once: its next request is refused and what it is running stops (a stream ends with an error saying why). With `purge`,
 * the cached prompts of the key's own scope (its KV and prompt texts) are deleted too; prompts it sent
 * into a group's scope belong to the group and stay.
 */
export function revokeKey(deps: KeysDeps, input: Record<string, unknown>): ApiKeyInfo[] {
    const id = requiredString(input.id, "id", 64, /^[\w-]+$/);
    const purge = input.purge === true || input.purge === "true";
    const key = keyFile(() => deps.keys.list()).find((k) => k.id === id);
    if (key == null) throw new AdminError("not_found", `No key with id '${id}'.`, "not_found", "id");
    const cache = deps.cache();
    // Refused before revoking: a purge that cannot run now could not be asked for again.
    if (purge && cache == null)
        throw new AdminError(
            "unavailable",
            "The cache cannot be purged while no model is loaded; retry when the model is ready.",
            "model_unavailable",
            null,
            5
        );
    keyFile(() => deps.keys.revoke(id));
    if (purge && cache != null) {
        // Its id scope, and the name scope keys issued before scopes were keyed by id used.
        const scopes = [issuedKeyUser(id), `key/${key.name}`].map((user) => scopeFor(user, {scopePolicy: "user", groups: {}}));
        // And what it sent into a shared scope (the global one, its group's): under the global policy that is all of it.
        let removed = cache.purgeOwner(issuedKeyUser(id));
        deps.requestLog.replays.dropOf(issuedKeyUser(id));
        // Its prompts may still be in a sequence's KV, where an exact repeat would reuse them as a prefix.
        deps.forgetLiveKv?.();
        for (const scope of scopes) {
            removed += cache.purgeScope(scope);
            deps.requestLog.replays.dropInScope(scope);
        }
        deps.log.info(`key ${id} revoked; ${removed} cached prompts of its scope purged`);
    } else {
        deps.log.info(`key ${id} revoked`);
    }
    return listKeys(deps);
}
