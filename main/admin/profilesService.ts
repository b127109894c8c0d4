import type {Profile} from "../../shared/admin.js";
import type {AppCore} from "../app/AppCore.js";
import {loadSettings, mergeSettings, saveSettings} from "../config/settings.js";
import {appDbOf} from "./appDb.js";
import {objectInput, optionalString, profileName, profileNamePattern, requiredString} from "./validate.js";

/** GET /kvshare/profiles: who can be asking, in the order they were added. */
export function listProfiles(core: AppCore): Profile[] {
    const rows = appDbOf(core).prepare("SELECT name, grp FROM profiles ORDER BY created_at, name").all() as Array<{name: string; grp: string | null}>;
    return rows.map((r) => (r.grp == null ? {name: r.name} : {name: r.name, group: r.grp}));
}

/**
 * Keeps the sharing groups (`sharing.groups`, used by the "group" scope policy) in step with the
 * profiles' groups, live and in settings.json.
 */
function setGroup(core: AppCore, name: string, group: string | undefined): void {
    const groups = {...core.settings.sharing.groups};
    if (group == null) delete groups[name];
    else groups[name] = group;
    if (JSON.stringify(groups) === JSON.stringify(core.settings.sharing.groups)) return;
    core.settings.sharing.groups = groups;
    saveSettings(core.dataDir, mergeSettings(loadSettings(core.dataDir), {sharing: {groups}}));
}

/** PUT /kvshare/profiles/{name}: adds a profile or changes its group. */
export function saveProfile(core: AppCore, input: unknown): Profile[] {
    const value = objectInput(input, "The profile");
    const name = profileName(value.name, "name");
    const rawGroup = optionalString(value.group, "group", 64)?.trim();
    const group = rawGroup == null || rawGroup === "" ? undefined : profileName(rawGroup, "group");
    appDbOf(core).prepare("INSERT INTO profiles (name, grp, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET grp = excluded.grp")
        .run(name, group ?? null, Date.now());
    setGroup(core, name, group);
    return listProfiles(core);
}

/** DELETE /kvshare/profiles/{name}: the profile's chats stay (they name who asked). */
export function deleteProfile(core: AppCore, input: {name?: unknown}): Profile[] {
    const name = requiredString(input.name, "name", 64, profileNamePattern);
    appDbOf(core).prepare("DELETE FROM profiles WHERE name = ?").run(name);
    setGroup(core, name, undefined);
    return listProfiles(core);
}
