/**
 * The scope of admin-marked shared prefixes (system prompts, templates): searched by every request besides its own
 * scope. Only the server writes to it, from the marked texts alone, and it refuses to delete its entries (they would
 * be put back): the panel offers none.
 */
export const sharedScope = "shared";

/** Who may reuse whose KV (the admin's sharing scope setting). */
export type ScopePolicy = "global" | "group" | "user";

/**
 * With whom an issued key's prompts share KV under `policy`: where keys are issued (the settings' key list, the
 * CLI), so a group given to a key is not taken for a wall it is not. `group`: that of one key (null: none); left
 * out, keys in general.
 */
export function keySharingText(policy: ScopePolicy, group?: string | null): string {
    const one = group !== undefined;
    if (policy === "global")
        return one && group !== null
            ? `Sharing scope “everyone shares”: its prompts share KV with everyone's; group ${group} keeps them apart only under the “same group” scope.`
            : one
              ? "Sharing scope “everyone shares”: its prompts share KV with everyone's."
              : "Sharing scope “everyone shares”: every key's prompts share KV with everyone's, whatever its group (choose “Members of the same group” to keep groups apart).";
    if (policy === "group")
        return one
            ? group === null
                ? "Sharing scope “same group”: with no group, its prompts share KV with its own only."
                : `Sharing scope “same group”: its prompts share KV with group ${group} only.`
            : "Sharing scope “same group”: a key's prompts share KV with its group's keys and profiles only (a key with no group: with its own only).";
    return one
        ? "Sharing scope “each user only”: its prompts share KV with its own only."
        : "Sharing scope “each user only”: each key's prompts share KV with its own only.";
}
