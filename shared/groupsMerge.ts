/**
 * A change of `sharing.groups` (user → group) made over `base`, the groups as the settings panel read them,
 * applied over the groups as they are `now`: only the lines the change adds, regroups or removes are taken,
 * so a line changed meanwhile (a profile added or regrouped, another admin's save) stays. Lines changed both
 * here and meanwhile, differently, are the conflicts (each said in words); then nothing should be saved.
 * The server applies it; the renderer's test double of the server does the same.
 */
export function mergeGroups(
    now: Record<string, string>,
    base: Record<string, string>,
    wanted: Record<string, string>
): {groups: Record<string, string>; conflicts: string[]} {
    const own = (groups: Record<string, string>, user: string): string | undefined => (Object.hasOwn(groups, user) ? groups[user] : undefined);
    const groups = {...now};
    const conflicts: string[] = [];
    for (const user of new Set([...Object.keys(base), ...Object.keys(wanted)])) {
        const [was, want, is] = [own(base, user), own(wanted, user), own(now, user)];
        if (want === was) continue;
        if (is !== was && is !== want) {
            const meanwhile = is == null ? `taken out of ${was}` : was == null ? `put in ${is}` : `moved from ${was} to ${is}`;
            conflicts.push(`${user} was ${meanwhile} meanwhile, and this change ${want == null ? "takes them out" : `puts them in ${want}`}`);
        } else if (want == null) delete groups[user];
        else groups[user] = want;
    }
    return {groups, conflicts};
}

/** What a save refused for {@link mergeGroups}' conflicts says (the same from the server and its test double). */
export function groupsConflictMessage(conflicts: readonly string[]): string {
    return `sharing.groups changed after the copy this change was made on was read: ${conflicts.join("; ")}. Nothing was saved: read the settings again and make the change over the groups as they are now.`;
}
