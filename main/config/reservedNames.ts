/**
 * Names no profile, group or issued key may take: those of unauthenticated requests, the app's own
 * key and the shared-prefix scope (a profile "anonymous" in a group would pull every anonymous request
 * into that group), and names a plain object map would take for its prototype.
 */
const reserved = new Set(["anonymous", "admin", "shared", "__proto__", "constructor", "prototype", "hasownproperty", "tostring", "valueof"]);

/** Case-insensitive: "Anonymous" is as misleading as "anonymous". */
export function isReservedName(name: string): boolean {
    return reserved.has(name.trim().toLowerCase());
}
