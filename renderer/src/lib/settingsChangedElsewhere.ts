import type {AdminSettings, AdminSettingsPatch} from "../../../shared/admin.js";
import {settingLabel} from "./settingsForm.js";

const sections = ["sharing", "api", "runtime"] as const;

/**
 * The settings a change would set that were changed elsewhere (another window, another admin) since `base`, the copy
 * the change was made over: `fresh` holds another value for them. Saved as it is, the change would replace that other
 * value without anyone having seen it. The groups are left out: their change names its base and the server merges it.
 */
export function changedElsewhere(patch: AdminSettingsPatch, base: AdminSettings, fresh: AdminSettings): string[] {
    const changed: string[] = [];
    for (const section of sections) {
        const asked = patch[section] as Record<string, unknown> | undefined;
        if (asked == null) continue;
        const before = base[section] as Record<string, unknown> | undefined;
        const now = fresh[section] as Record<string, unknown> | undefined;
        for (const key of Object.keys(asked)) {
            if (section === "sharing" && key === "groups") continue;
            if (JSON.stringify(before?.[key]) !== JSON.stringify(now?.[key])) changed.push(`${section}.${key}`);
        }
    }
    return changed;
}

/** Says which settings another window changed, with their values there where they are short, and what saving again does. */
export function changedElsewhereMessage(paths: readonly string[], fresh: AdminSettings): string {
    const named = paths.map((path) => {
        const [section, key] = path.split(".") as [(typeof sections)[number], string];
        const value = (fresh[section] as Record<string, unknown> | undefined)?.[key];
        const shown =
            typeof value === "number" || typeof value === "boolean" || (typeof value === "string" && value.length <= 40) ? ` (now ${String(value)})` : "";
        return `${settingLabel(path)}${shown}`;
    });
    const them = paths.length === 1 ? "it" : "them";
    return `Changed in another window since this page read the settings: ${named.join(", ")}. Your other changes are not saved yet either: save again to replace ${them} with yours, or Reset to see theirs.`;
}
