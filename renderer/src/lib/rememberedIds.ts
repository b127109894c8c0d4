/** Deleted (or brought back) chats remembered in this browser's storage, shared by its tabs: the most recent ones. */
const REMEMBERED_IDS = 200;

/** Adds chat ids to remembered ones (deleted, or brought back), keeping the most recent {@link REMEMBERED_IDS}. */
export function rememberIds(list: readonly string[], ids: readonly string[]): string[] {
    return [...list.filter((id) => !ids.includes(id)), ...ids].slice(-REMEMBERED_IDS);
}

/** The entries of `times` for the ids still remembered. */
export function keptFor(ids: readonly string[], times: Readonly<Record<string, number>>): Record<string, number> {
    return Object.fromEntries(ids.flatMap((id) => (times[id] == null ? [] : [[id, times[id]]])));
}
