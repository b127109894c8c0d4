import {create} from "zustand";
import type {Profile} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";
import {DEFAULT_PROFILE} from "../lib/types.js";
import {useAdminSettings} from "./useAdminSettings.js";
import {identityEpoch} from "./useSignedIn.js";

export const ACTIVE_PROFILE_STORAGE = "kvshare.profile";

interface ProfilesState {
    profiles: Profile[];
    /** Who is asking now: new chats are theirs and requests carry it as `user`. */
    active: string;
    loaded: boolean;
    error: string | null;
    /** Reads the profiles from the server; creates the default one when there is none. */
    load: () => Promise<void>;
    /**
     * Adds (or regroups) a profile and makes it the active one. A profile's group is its line of the sharing
     * groups (`sharing.groups`, what requests use): the admin settings are read again for it.
     */
    add: (name: string, group?: string) => Promise<boolean>;
    remove: (name: string) => Promise<void>;
    select: (name: string) => void;
}

function storedActive(): string {
    try {
        return localStorage.getItem(ACTIVE_PROFILE_STORAGE) ?? DEFAULT_PROFILE;
    } catch {
        return DEFAULT_PROFILE;
    }
}

function storeActive(name: string): void {
    try {
        localStorage.setItem(ACTIVE_PROFILE_STORAGE, name);
    } catch {
        // storage unavailable: the choice lasts for this page
    }
}

/**
 * Every answer carries the server's whole list. Requests can be answered out of order (the start-up list
 * arriving after a profile was added), so an answer is applied only when no later-sent one has been: an
 * older list would drop the profile just added and move the active one away from it.
 */
let sent = 0;
let applied = 0;
function stale(request: number): boolean {
    if (request < applied) return true;
    applied = request;
    return false;
}

export const useProfiles = create<ProfilesState>()((set, get) => ({
    profiles: [],
    active: storedActive(),
    loaded: false,
    error: null,
    load: async () => {
        const request = ++sent;
        const epoch = identityEpoch();
        try {
            let profiles = await getBackend().admin("listProfiles", {});
            if (profiles.length === 0) profiles = await getBackend().admin("saveProfile", {name: DEFAULT_PROFILE});
            // Signed out, or another key taken, meanwhile: these are someone else's profiles.
            if (epoch !== identityEpoch()) return;
            if (stale(request)) {
                set({loaded: true});
                return;
            }
            const active = profiles.some((p) => p.name === get().active) ? get().active : (profiles[0]?.name ?? DEFAULT_PROFILE);
            storeActive(active);
            set({profiles, active, loaded: true, error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    },
    add: async (rawName, rawGroup) => {
        const name = rawName.trim();
        const group = rawGroup?.trim();
        if (name === "") return false;
        const request = ++sent;
        try {
            const profiles = await getBackend().admin("saveProfile", group ? {name, group} : {name});
            void useAdminSettings.getState().refresh();
            // A later answer already holds this profile (unless that later request removed it again).
            if (stale(request)) {
                get().select(name);
                return true;
            }
            storeActive(name);
            set({profiles, active: name, error: null});
            return true;
        } catch (error) {
            set({error: errorMessage(error)});
            return false;
        }
    },
    remove: async (name) => {
        const request = ++sent;
        try {
            let profiles = await getBackend().admin("deleteProfile", {name});
            if (profiles.length === 0) profiles = await getBackend().admin("saveProfile", {name: DEFAULT_PROFILE});
            void useAdminSettings.getState().refresh();
            if (stale(request)) {
                // The later answer's list is newer; only the active choice may still name the removed profile.
                const {profiles: newer, active} = get();
                if (active === name && !newer.some((p) => p.name === name)) get().select(newer[0]?.name ?? DEFAULT_PROFILE);
                return;
            }
            const active = get().active === name ? (profiles[0]?.name ?? DEFAULT_PROFILE) : get().active;
            storeActive(active);
            set({profiles, active, error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    },
    select: (name) => {
        if (!get().profiles.some((p) => p.name === name)) return;
        storeActive(name);
        set({active: name});
    }
}));

/**
 * A profile's group is its line of the sharing groups, which the admin settings change too (the Groups box):
 * when settings arrive whose groups differ from the groups shown here, the list is read again (from the
 * server, which derives them the same way, rather than from a copy of the settings that may be older).
 */
useAdminSettings.subscribe((state, previous) => {
    const groups = state.settings?.sharing.groups;
    if (groups == null || groups === previous.settings?.sharing.groups) return;
    const {profiles, loaded} = useProfiles.getState();
    const drifted = profiles.some((p) => (Object.hasOwn(groups, p.name) ? groups[p.name] : undefined) !== p.group);
    if (loaded && drifted) void useProfiles.getState().load();
});
