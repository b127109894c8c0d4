import type {Profile} from "../../shared/admin.js";
import {saveSettingsPatch} from "../config/settings.js";
import type {AdminDeps} from "./ports.js";
import {profileNamePattern} from "../../shared/names.js";
import {objectInput, optionalString, profileName, requiredString} from "./validate.js";

/** What the profile operations use. */
export type ProfilesDeps = Pick<AdminDeps, "db" | "settings" | "dataDir">;

/**
 * GET /kvshare/profiles: who can be asking, in the order they were added. A profile's group is the one
 * requests use, `sharing.groups` (the only place a user's group is kept): a change of the groups in the
 * settings shows here at once. The table's `grp` column, from the first schema, is no longer read.
 */
export function listProfiles(deps: ProfilesDeps): Profile[] {
    const rows = deps.db.get().prepare("SELECT name FROM profiles ORDER BY created_at, name").all() as Array<{name: string}>;
    const groups = deps.settings.sharing.groups;
    return rows.map(({name}) => (Object.hasOwn(groups, name) ? {name, group: groups[name]!} : {name}));
}

/** Sets or removes a user's line of `sharing.groups` (used by the "group" scope policy), live and in settings.json. */
function setGroup(deps: ProfilesDeps, name: string, group: string | undefined): void {
    const current = deps.settings.sharing.groups;
    if ((Object.hasOwn(current, name) ? current[name] : undefined) === group) return;
    const groups = {...current};
    if (group == null) delete groups[name];
    else groups[name] = group;
    saveSettingsPatch(deps.dataDir, {sharing: {groups}});
    deps.settings.sharing.groups = groups;
}

/** PUT /kvshare/profiles/{name}: adds a profile or changes its group (its line of `sharing.groups`; none removes it). */
export function saveProfile(deps: ProfilesDeps, input: unknown): Profile[] {
    const value = objectInput(input, "The profile");
    const name = profileName(value.name, "name");
    const rawGroup = optionalString(value.group, "group", 64)?.trim();
    const group = rawGroup == null || rawGroup === "" ? undefined : profileName(rawGroup, "group");
    deps.db.get().prepare("INSERT INTO profiles (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING").run(name, Date.now());
    setGroup(deps, name, group);
    return listProfiles(deps);
}

/** DELETE /kvshare/profiles/{name}: the profile's chats stay (they name who asked); its line of `sharing.groups` goes. */
export function deleteProfile(deps: ProfilesDeps, input: {name?: unknown}): Profile[] {
    const name = requiredString(input.name, "name", 64, profileNamePattern);
    deps.db.get().prepare("DELETE FROM profiles WHERE name = ?").run(name);
    setGroup(deps, name, undefined);
    return listProfiles(deps);
}
