/**
 * The scope of admin-marked shared prefixes (system prompts, templates): searched by every request besides its own
 * scope. Only the server writes to it, from the marked texts alone, and it refuses to delete its entries (they would
 * be put back): the panel offers none.
 */
export const sharedScope = "shared";
