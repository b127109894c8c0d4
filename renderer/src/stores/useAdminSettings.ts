import {create} from "zustand";
import type {AdminSettings, AdminSettingsPatch} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";
import {askBeforeLeaving} from "../lib/leaveGuard.js";
import type {SettingsDraft} from "../lib/settingsForm.js";
import {changedElsewhere, changedElsewhereMessage} from "../lib/settingsChangedElsewhere.js";

interface AdminSettingsState {
    settings: AdminSettings | null;
    /** Why the last load or change failed (the server's message, e.g. a threshold outside 0..1). */
    error: string | null;
    saving: boolean;
    /** Set after a successful change, for a short confirmation. */
    savedAt: number | null;
    lastCleared: {removedEntries: number; freedBytes: number} | null;
    /** What the last save removed from the cache (a smaller snapshot budget), said beside "Saved"; null: nothing. */
    lastEvicted: {removedEntries: number; freedBytes: number} | null;
    /** Why the last Clear cache failed (shown at its button, not with the form's errors). */
    clearError: string | null;
    /** Edits not saved yet, kept while the panel is closed (another view, not a reload) over the settings they were typed on. */
    unsaved: {draft: SettingsDraft; base: AdminSettings} | null;
    /**
     * Where the API server moved after a change of its port or host, when it also serves this page
     * (headless mode): this page's address no longer answers, the app is at this URL now.
     */
    movedTo: string | null;
    /**
     * The settings as read when a save found some of its fields changed elsewhere (and said so): a save made again
     * over them replaces those values, knowingly.
     */
    seenElsewhere: AdminSettings | null;
    load: () => Promise<void>;
    /**
     * Reads the settings again after a change made elsewhere in the app (a profile added or regrouped changes
     * `sharing.groups`): shown at once when nothing is being edited over them (the panel's form then shows the
     * fresh copy). Unsaved edits keep the copy they were typed on: the groups change they send names it, and the
     * server applies only its own lines over the groups as they are now. Nothing is read before a first load.
     */
    refresh: () => Promise<void>;
    /**
     * Sends a change; the server validates it and it takes effect at once. Resolves to success. A change of the
     * groups carries the groups it was made over (`baseGroups`), so a line changed meanwhile is not dropped.
     */
    patch: (patch: AdminSettingsPatch) => Promise<boolean>;
    clearCache: () => Promise<boolean>;
}

/** The store's data before anything is loaded (tests reset to it). */
export const adminSettingsInitialState = {
    settings: null,
    error: null,
    saving: false,
    savedAt: null,
    lastCleared: null,
    lastEvicted: null,
    clearError: null,
    unsaved: null,
    movedTo: null,
    seenElsewhere: null
} satisfies Partial<AdminSettingsState>;

/**
 * Reads can be answered out of order (a load sent before a profile was added, answered after the refresh that
 * followed it): an answer is shown only when no later-sent read or change has been. A change's own answer is
 * always shown (it is what was saved).
 */
let sent = 0;
let shown = 0;
function older(request: number): boolean {
    if (request < shown) return true;
    shown = request;
    return false;
}

/** The values a save sets (what the model in use was loaded with left out), to tell another window's save. */
function savedValues(settings: AdminSettings): string {
    return JSON.stringify([settings.sharing, settings.api, settings.runtime == null ? null : {...settings.runtime, loaded: null}]);
}

export const useAdminSettings = create<AdminSettingsState>()((set, get) => ({
    ...adminSettingsInitialState,
    load: async () => {
        const request = ++sent;
        try {
            const settings = await getBackend().admin("getSettings", {});
            if (!older(request)) set({settings, error: null, seenElsewhere: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    },
    refresh: async () => {
        if (get().settings == null) return;
        const request = ++sent;
        try {
            const settings = await getBackend().admin("getSettings", {});
            if (get().unsaved != null || get().saving || older(request)) return;
            const before = get().settings;
            // Values changed elsewhere: the last save's "Saved" no longer describes what is shown (a model loaded since,
            // which the runtime section reports, changes no value).
            // What another window changed is shown now: a save then replaces it knowingly (see `seenElsewhere`).
            set({settings, seenElsewhere: null, ...(before != null && savedValues(before) !== savedValues(settings) ? {savedAt: null} : {})});
        } catch {
            // Not shown: the panel's own load says why the settings cannot be read, and a save still names its base.
        }
    },
    patch: async (patch) => {
        set({saving: true});
        const request = ++sent;
        try {
            const current = get().settings;
            if (current != null) {
                // Another window may have changed what this change sets since this page read the settings: say so
                // rather than replace its values unseen (a save made again after that goes through).
                const fresh = await getBackend().admin("getSettings", {});
                const clashes = changedElsewhere(patch, get().seenElsewhere ?? current, fresh);
                if (clashes.length > 0) {
                    set({error: changedElsewhereMessage(clashes, fresh), saving: false, seenElsewhere: fresh});
                    return false;
                }
            }
            const before = current?.api.url ?? null;
            const baseGroups = patch.sharing?.groups != null && current != null ? {baseGroups: current.sharing.groups} : {};
            const {evicted, ...settings} = await getBackend().admin("patchSettings", {...patch, ...baseGroups});
            shown = Math.max(shown, request);
            const {url, servesUi} = settings.api;
            const moved = servesUi && url != null && before != null && url !== before;
            set({
                settings,
                error: null,
                saving: false,
                savedAt: Date.now(),
                lastEvicted: evicted ?? null,
                seenElsewhere: null,
                ...(moved ? {movedTo: url} : {})
            });
            return true;
        } catch (error) {
            set({error: errorMessage(error), saving: false});
            return false;
        }
    },
    clearCache: async () => {
        try {
            const lastCleared = await getBackend().admin("clearCache", {});
            set({lastCleared, clearError: null});
            return true;
        } catch (error) {
            set({clearError: errorMessage(error)});
            return false;
        }
    }
}));

/** Unsaved settings edits (kept while the panel is closed too) make the browser ask before a reload or close loses them. */
useAdminSettings.subscribe((state, previous) => {
    if ((state.unsaved == null) !== (previous.unsaved == null)) askBeforeLeaving("unsaved settings", state.unsaved != null);
});
