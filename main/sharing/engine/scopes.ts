import type {SharingSettings} from "../../config/settings.js";

export {sharedScope} from "../../../shared/scopes.js";

/** The identity a request runs as: a desktop profile, an API key's owner, or the `user` field. */
export const anonymousUser = "anonymous";

/**
 * The sharing scope of a request under the admin's policy. Cached prompts are stored in the scope of
 * whoever sent them, and a request only ever sees donors of its own scope, so reuse never crosses scopes.
 */
export function scopeFor(user: string | undefined, settings: Pick<SharingSettings, "scopePolicy" | "groups">, keyGroup?: string): string {
    // Exactly as given: two spellings of a name are two people (the API refuses padded or invisible characters).
    const who = user == null || user === "" ? anonymousUser : user;
    switch (settings.scopePolicy) {
        case "global":
            return "global";
        case "user":
            return `user:${who}`;
        case "group": {
            const group = keyGroup ?? (Object.hasOwn(settings.groups, who) ? settings.groups[who] : undefined);
            // Someone in no group shares with nobody else.
            return group != null ? `group:${group}` : `user:${who}`;
        }
    }
}

/**
 * The identity an issued API key's requests run as. Keyed by the key's id, never its display name: a
 * new key issued under a name someone held before ("nurse1") starts with an empty scope of its own.
 */
export function issuedKeyUser(keyId: string): string {
    return `key/${keyId}`;
}
