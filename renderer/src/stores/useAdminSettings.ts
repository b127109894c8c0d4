import {create} from "zustand";
import type {AdminSettings, AdminSettingsPatch} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";
import type {SettingsDraft} from "../lib/settingsForm.js";

interface AdminSettingsState {
    settings: AdminSettings | null;
    /** Why the last load or change failed (the server's message, e.g. a threshold outside 0..1). */
    error: string | null;
    saving: boolean;
    /** Set after a successful change, for a short confirmation. */
    savedAt: number | null;
    lastCleared: {removedEntries: number; freedBytes: number} | null;
    /** Why the last Clear cache failed (shown at its button, not with the form's errors). */
    clearError: string | null;
    /** Edits not saved yet, kept while the panel is closed (another view, not a reload) over the settings they were typed on. */
    unsaved: {draft: SettingsDraft; base: AdminSettings} | null;
    /**
     * Where the API server moved after a change of its port or host, when it also serves this page
     * (headless mode): this page's address no longer answers, the app is at this URL now.
     */
    movedTo: string | null;
    load: () => Promise<void>;
    /** Sends a change; the server validates it and it takes effect at once. Resolves to success. */
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
    clearError: null,
    unsaved: null,
    movedTo: null
} satisfies Partial<AdminSettingsState>;

export const useAdminSettings = create<AdminSettingsState>()((set, get) => ({
    ...adminSettingsInitialState,
    load: async () => {
        try {
            set({settings: await getBackend().admin("getSettings", {}), error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    },
    patch: async (patch) => {
        set({saving: true});
        try {
            const before = get().settings?.api.url ?? null;
            const settings = await getBackend().admin("patchSettings", patch);
            const {url, servesUi} = settings.api;
            const moved = servesUi && url != null && before != null && url !== before;
            set({settings, error: null, saving: false, savedAt: Date.now(), ...(moved ? {movedTo: url} : {})});
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
const askBeforeUnload = (event: BeforeUnloadEvent): void => event.preventDefault();
useAdminSettings.subscribe((state, previous) => {
    if ((state.unsaved == null) === (previous.unsaved == null)) return;
    if (state.unsaved != null) window.addEventListener("beforeunload", askBeforeUnload);
    else window.removeEventListener("beforeunload", askBeforeUnload);
});
