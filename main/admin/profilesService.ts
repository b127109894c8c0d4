import type {Profile} from "../../shared/admin.js";
import {saveSettingsPatch} from "../config/settings.js";
import type {AdminDeps} from "./ports.js";
import {objectInput, optionalString, profileName, profileNamePattern, requiredString} from "./validate.js";

/** What the profile operations use. */
export type ProfilesDeps = Pick<AdminDeps, "db" | "settings" | "dataDir">;

/** GET /kvshare/profiles: who can be asking, in the order they were added. */
export function listProfiles(deps: ProfilesDeps): Profile[] {
    const rows = deps.db.get().prepare("SELECT name, grp FROM profiles ORDER BY created_at, name").all() as Array<{name: string; grp: string | null}>;
    return rows.map((r) => (r.grp == null ? {name: r.name} : {name: r.name, group: r.grp}));
}

/**
 * Keeps the sharing groups (`sharing.groups`, used by the "group" scope policy) in step with the
 * profiles' groups, live and in settings.json.
 */
function setGroup(deps: ProfilesDeps, name: string, group: string | undefined): void {
    const groups = {...deps.settings.sharing.groups};
    if (group == null) delete groups[name];
    else groups[name] = group;
    if (JSON.stringify(groups) === JSON.stringify(deps.settings.sharing.groups)) return;
    deps.settings.sharing.groups = groups;
    saveSettingsPatch(deps.dataDir, {sharing: {groups}});
}

/** PUT /kvshare/profiles/{name}: adds a profile or changes its group. */
export function saveProfile(deps: ProfilesDeps, input: unknown): Profile[] {
    const value = objectInput(input, "The profile");
    const name = profileName(value.name, "name");
    const rawGroup = optionalString(value.group, "group", 64)?.trim();
    const group = rawGroup == null || rawGroup === "" ? undefined : profileName(rawGroup, "group");
    deps.db
        .get()
        .prepare("INSERT INTO profiles (name, grp, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET grp = excluded.grp")
        .run(name, group ?? null, Date.now());
    setGroup(deps, name, group);
    return listProfiles(deps);
}

/** DELETE /kvshare/profiles/{name}: the profile's chats stay (they name who asked). */
export function deleteProfile(deps: ProfilesDeps, input: {name?: unknown}): Profile[] {
    const name = requiredString(input.name, "name", 64, profileNamePattern);
    deps.db.get().prepare("DELETE FROM profiles WHERE name = ?").run(name);
    setGroup(deps, name, undefined);
    return listProfiles(deps);
}
